import { performance } from 'node:perf_hooks';
import { ThreatIntelIndex, type Indicator } from '@telemetry/enrichment';
import { seededRandom } from './bench-dataset';
import { collectGarbage } from './bench-meter';
import type { StageResult } from './bench-stages';

/**
 * Issue #11: "1M indicators load in seconds and the per-record match cost stays flat". For one
 * indicator count: a deterministic feed-like indicator set (mostly IPv4 hosts, some IPv4 networks,
 * a few percent IPv6), the time and heap of building a ThreatIntelIndex from it, and the cost of
 * ThreatIntelIndex.match on a fixed stream of flows (a fixed share of hits, the rest misses, both
 * families) per CPU-second of this process, warm. In process, no Kafka; the same in every mode.
 */

/** One class of the generated indicators: its family, prefix lengths, and share of the set. */
export interface IndicatorClass {
  readonly name: 'v4 /32' | 'v4 /24' | 'v4 /12-/16' | 'v6 /128' | 'v6 /48';
  readonly family: 4 | 6;
  /** The share of the set; the /32 hosts take whatever the others leave. */
  readonly share: number;
}

/**
 * Like real IP reputation feeds: hosts above all, some /24s (hosting ranges, Tor exit blocks), a
 * handful of /12-/16 networks (DROP-style hijacked space; at 0.1%, 1M indicators still list only a
 * few percent of the IPv4 space), and a few percent IPv6, hosts and /48 sites.
 */
export const INDICATOR_MIX: readonly IndicatorClass[] = [
  { name: 'v4 /32', family: 4, share: 0.889 },
  { name: 'v4 /24', family: 4, share: 0.06 },
  { name: 'v4 /12-/16', family: 4, share: 0.001 },
  { name: 'v6 /128', family: 6, share: 0.04 },
  { name: 'v6 /48', family: 6, share: 0.01 },
];

/** How many indicators of each class a set of `count` has: the others rounded, the /32 hosts the rest. */
export function indicatorCounts(count: number): Record<IndicatorClass['name'], number> {
  const counts = {} as Record<IndicatorClass['name'], number>;
  let rest = count;
  for (const cls of INDICATOR_MIX.slice(1)) {
    counts[cls.name] = Math.min(rest, Math.round(cls.share * count));
    rest -= counts[cls.name];
  }
  counts['v4 /32'] = rest;
  return counts;
}

/** The prefix lengths of the wide IPv4 networks, /16 the most common. */
const WIDE_PREFIXES: readonly number[] = [12, 13, 14, 14, 15, 15, 15, 15, 16, 16, 16, 16, 16, 16, 16, 16];
const CATEGORIES = ['malicious', 'c2', 'scanner', 'botnet', 'spam', 'tor_exit', 'phishing'];
const HOST_SOURCES = ['feodo', 'firehol_level1', 'emerging_threats', 'internal'];
/** The largest indicator set the generator is asked for (BENCH_TI_SIZES). */
export const MAX_THREAT_INTEL_SIZE = 2_000_000;

/** Not private, loopback, CGNAT, link-local, benchmarking, multicast or reserved, at /16 granularity. */
function publicV4Block(a: number, b: number): boolean {
  if (a === 0 || a === 10 || a === 127 || a >= 224) return false;
  if (a === 100 && b >= 64 && b <= 127) return false;
  if (a === 169 && b === 254) return false;
  if (a === 172 && b >= 16 && b <= 31) return false;
  if (a === 192 && b === 168) return false;
  if (a === 198 && (b === 18 || b === 19)) return false;
  return true;
}

class Draw {
  constructor(readonly random: () => number) {}

  int(min: number, max: number): number {
    return min + Math.floor(this.random() * (max - min + 1));
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.random() * items.length)];
  }

  /** A public /16 block as [a, b]. */
  publicBlock(): [number, number] {
    for (;;) {
      const a = this.int(1, 223);
      const b = this.int(0, 255);
      if (publicV4Block(a, b)) return [a, b];
    }
  }

  publicV4(): string {
    const [a, b] = this.publicBlock();
    return `${a}.${b}.${this.int(0, 255)}.${this.int(1, 254)}`;
  }

  privateV4(): string {
    const r = this.random();
    if (r < 0.6) return `10.${this.int(0, 255)}.${this.int(0, 255)}.${this.int(1, 254)}`;
    if (r < 0.85) return `192.168.${this.int(0, 255)}.${this.int(1, 254)}`;
    return `172.${this.int(16, 31)}.${this.int(0, 255)}.${this.int(1, 254)}`;
  }

  hextet(): string {
    return this.int(0, 0xffff).toString(16);
  }

  /** The first hextet of global unicast IPv6 (2000::/3). */
  globalV6First(): string {
    return this.int(0x2000, 0x3fff).toString(16);
  }

  globalV6(): string {
    return [this.globalV6First(), ...Array.from({ length: 7 }, () => this.hextet())].join(':');
  }
}

/**
 * `count` indicators with `count` distinct networks, deterministic for `seed` (same list on every
 * run and machine), in the mix of {@link INDICATOR_MIX}, shuffled (feeds are not sorted by class).
 * Networks of different classes may overlap (a listed host inside a listed /24), as in real feeds.
 */
export function generateIndicators(seed: number, count: number): Indicator[] {
  if (!Number.isInteger(count) || count < 0 || count > MAX_THREAT_INTEL_SIZE)
    throw new Error(`indicator count must be an integer 0..${MAX_THREAT_INTEL_SIZE}, got ${count}`);
  const draw = new Draw(seededRandom(seed));
  const counts = indicatorCounts(count);
  const out: Indicator[] = [];
  const add = (indicator: string, source: string) => out.push({ indicator, category: draw.pick(CATEGORIES), confidence: draw.int(20, 100), source });
  // Distinct per class: the network's number (IPv4) or text (IPv6, written one way only).
  const unique = <K>(n: number, next: () => [K, string], source: () => string) => {
    const seen = new Set<K>();
    while (seen.size < n) {
      const [key, text] = next();
      if (seen.has(key)) continue;
      seen.add(key);
      add(text, source());
    }
  };
  const hostSource = () => draw.pick(HOST_SOURCES);
  unique<number>(
    counts['v4 /32'],
    () => {
      const [a, b] = draw.publicBlock();
      const c = draw.int(0, 255);
      const d = draw.int(1, 254);
      return [((a * 256 + b) * 256 + c) * 256 + d, `${a}.${b}.${c}.${d}`];
    },
    hostSource,
  );
  unique<number>(
    counts['v4 /24'],
    () => {
      const [a, b] = draw.publicBlock();
      const c = draw.int(0, 255);
      return [(a * 256 + b) * 256 + c, `${a}.${b}.${c}.0/24`];
    },
    hostSource,
  );
  unique<string>(
    counts['v4 /12-/16'],
    () => {
      for (;;) {
        const length = draw.pick(WIDE_PREFIXES);
        const [a, raw] = draw.publicBlock();
        const span = 1 << (16 - length);
        const b = raw & ~(span - 1);
        // The whole network public: a /12 at 192.160 would swallow 192.168/16.
        let allPublic = true;
        for (let x = b; x < b + span; x++) if (!publicV4Block(a, x)) allPublic = false;
        if (allPublic) return [`${a}.${b}/${length}`, `${a}.${b}.0.0/${length}`];
      }
    },
    () => 'spamhaus_drop',
  );
  unique<string>(
    counts['v6 /128'],
    () => {
      const text = draw.globalV6();
      return [text, text];
    },
    hostSource,
  );
  unique<string>(
    counts['v6 /48'],
    () => {
      const site = `${draw.globalV6First()}:${draw.hextet()}:${draw.hextet()}`;
      return [site, `${site}::/48`];
    },
    hostSource,
  );
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(draw.random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

export interface Flow {
  readonly srcIp: string;
  readonly dstIp: string;
}

export interface FlowStream {
  readonly flows: Flow[];
  /** Flows with an endpoint inside a listed network: exactly these match. */
  readonly hits: number;
  /** Miss endpoints of the base stream that a network of this set listed, drawn again. */
  readonly redrawn: number;
}

/** An address inside the indicator's network: the host itself, or a random host of the network. */
function addressIn(indicator: Indicator, draw: Draw): string {
  const [network, length] = indicator.indicator.split('/');
  if (length === undefined) return network;
  if (length === '24') return `${network.slice(0, network.lastIndexOf('.'))}.${draw.int(1, 254)}`;
  if (length === '48') return `${network.slice(0, -2)}:${Array.from({ length: 5 }, () => draw.hextet()).join(':')}`;
  const [a, b] = network.split('.').map(Number);
  const span = 1 << (16 - Number(length));
  return `${a}.${b + draw.int(0, span - 1)}.${draw.int(0, 255)}.${draw.int(1, 254)}`;
}

/**
 * `flows` flows, of which `round(flows × hitShare)` have one endpoint inside a network of
 * `indicators` and the rest none. The misses are one base stream for a seed whatever the set (90%
 * IPv4: sources mostly private, destinations mostly public; 10% global IPv6 both ends); a miss
 * endpoint that `isListed` says this set lists is drawn again. Hits sit at seeded positions, one
 * end (the destination seven times in ten) in a random indicator's network, the other a miss of
 * its family.
 */
export function generateFlowStream(options: {
  seed: number;
  flows: number;
  hitShare: number;
  indicators: readonly Indicator[];
  isListed: (ip: string) => boolean;
}): FlowStream {
  const base = new Draw(seededRandom(options.seed + 1));
  const again = new Draw(seededRandom(options.seed + 2));
  const hitDraw = new Draw(seededRandom(options.seed + 3));
  let redrawn = 0;
  const miss = (draw: Draw, family: 4 | 6, side: 'src' | 'dst'): string => {
    if (family === 6) return draw.globalV6();
    const privateShare = side === 'src' ? 0.75 : 0.2;
    return draw.random() < privateShare ? draw.privateV4() : draw.publicV4();
  };
  const unlisted = (ip: string, family: 4 | 6, side: 'src' | 'dst'): string => {
    let address = ip;
    while (options.isListed(address)) {
      redrawn++;
      address = miss(again, family, side);
    }
    return address;
  };
  const flows: Flow[] = [];
  for (let i = 0; i < options.flows; i++) {
    const family = base.random() < 0.1 ? 6 : 4;
    flows.push({ srcIp: miss(base, family, 'src'), dstIp: miss(base, family, 'dst') });
  }
  const hits = options.indicators.length === 0 ? 0 : Math.round(options.flows * options.hitShare);
  const hitAt = new Set<number>();
  while (hitAt.size < hits) hitAt.add(hitDraw.int(0, options.flows - 1));
  for (let i = 0; i < flows.length; i++) {
    if (hitAt.has(i)) {
      const indicator = hitDraw.pick(options.indicators);
      const family = indicator.indicator.includes(':') ? 6 : 4;
      const listed = addressIn(indicator, hitDraw);
      flows[i] =
        hitDraw.random() < 0.7
          ? { srcIp: unlisted(miss(hitDraw, family, 'src'), family, 'src'), dstIp: listed }
          : { srcIp: listed, dstIp: unlisted(miss(hitDraw, family, 'dst'), family, 'dst') };
    } else {
      const family = flows[i].srcIp.includes(':') ? 6 : 4;
      flows[i] = { srcIp: unlisted(flows[i].srcIp, family, 'src'), dstIp: unlisted(flows[i].dstIp, family, 'dst') };
    }
  }
  return { flows, hits, redrawn };
}

/** Flows in the stream with at least one match; must equal the stream's hits. */
function matchPass(index: ThreatIntelIndex, flows: readonly Flow[]): number {
  let matched = 0;
  for (let i = 0; i < flows.length; i++) if (index.match(flows[i]).length > 0) matched++;
  return matched;
}

const MB = 1024 * 1024;

export interface ThreatIntelOptions {
  readonly seed: number;
  /** Flows in the match stream. */
  readonly flows: number;
  /** Timed passes over the stream, after one warm-up pass. */
  readonly passes: number;
  readonly hitShare: number;
}

/** One indicator count: generate, load (timed, heap after a full GC), then match the stream (warm, per CPU-second). */
export function runThreatIntelStage(size: number, options: ThreatIntelOptions): StageResult {
  const generateStart = performance.now();
  const indicators = generateIndicators(options.seed, size);
  const generateMs = performance.now() - generateStart;

  collectGarbage();
  const before = process.memoryUsage();
  const loadCpu = process.cpuUsage();
  const loadStart = performance.now();
  const index = new ThreatIntelIndex(indicators);
  const loadMs = performance.now() - loadStart;
  const loadCpuUsage = process.cpuUsage(loadCpu);
  const loadCpuMs = (loadCpuUsage.user + loadCpuUsage.system) / 1000;
  if (index.size !== size) throw new Error(`the index holds ${index.size} indicators, ${size} were loaded`);
  collectGarbage();
  const after = process.memoryUsage();

  const streamStart = performance.now();
  const stream = generateFlowStream({
    seed: options.seed,
    flows: options.flows,
    hitShare: options.hitShare,
    indicators,
    isListed: (ip) => index.match({ srcIp: ip, dstIp: '' }).length > 0,
  });
  const streamMs = performance.now() - streamStart;

  const check = (matched: number, pass: string) => {
    if (matched !== stream.hits) throw new Error(`${pass}: ${matched} flows matched, ${stream.hits} were made to hit`);
  };
  check(matchPass(index, stream.flows), 'warm-up pass');
  collectGarbage();
  const cpu = process.cpuUsage();
  const wallStart = performance.now();
  for (let pass = 0; pass < options.passes; pass++) check(matchPass(index, stream.flows), `pass ${pass + 1}`);
  const wallMs = performance.now() - wallStart;
  const cpuUsage = process.cpuUsage(cpu);
  const cpuMs = (cpuUsage.user + cpuUsage.system) / 1000;

  const lookups = stream.flows.length * options.passes;
  const heapUsedMb = after.heapUsed / MB;
  return {
    stage: 'threat-intel',
    mode: 'n/a',
    variant: `${size.toLocaleString('en-US')} indicators; match(flow) over ${stream.flows.length.toLocaleString('en-US')} flows, ${options.hitShare * 100}% hits, ${options.passes} warm passes`,
    records: lookups,
    batchRecords: 1,
    wallMs,
    recordsPerSec: lookups / (wallMs / 1000),
    recordsPerCpuSec: cpuMs > 0 ? lookups / (cpuMs / 1000) : undefined,
    details: {
      prefixes: size,
      mix: indicatorCounts(size),
      generateMs,
      loadS: loadMs / 1000,
      loadCpuS: loadCpuMs / 1000,
      indicatorsPerSec: size / (loadMs / 1000),
      heapUsedMb,
      // What the index itself added: its JS objects, and the trie's typed arrays (off the JS heap).
      indexHeapMb: (after.heapUsed - before.heapUsed) / MB,
      indexArrayBuffersMb: (after.arrayBuffers - before.arrayBuffers) / MB,
      flows: stream.flows.length,
      hits: stream.hits,
      redrawnMissEndpoints: stream.redrawn,
      flowStreamMs: streamMs,
      lookupsPerCpuSec: cpuMs > 0 ? lookups / (cpuMs / 1000) : undefined,
      nsPerLookupCpu: (cpuMs * 1e6) / lookups,
    },
  };
}
