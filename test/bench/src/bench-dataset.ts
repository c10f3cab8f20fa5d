import { createHash } from 'node:crypto';
import * as zlib from 'node:zlib';
import type { IngressFormat } from '@telemetry/contracts';

/**
 * The benchmark's synthetic traffic: deterministic for a seed (same bytes on every run and
 * machine), a mix of Zeek conn and flows.v1 batches, with public and private IPv4/IPv6 endpoints,
 * some in the GeoIP/ASN fixture networks, many in real public space (which the embedded DB-IP data
 * answers), and a share that hits the threat list written beside it.
 */

/** mulberry32: a tiny seeded PRNG, good enough for traffic shapes and fully reproducible. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface DatasetBatch {
  readonly index: number;
  readonly format: IngressFormat;
  /** The REST path the batch is posted to. */
  readonly path: '/v1/ingest/zeek' | '/v1/ingest/netflow';
  readonly collectorId: string;
  readonly recordCount: number;
  /** The envelope `{collector_id, format, records}` as JSON text (off the JS heap, like the gzip body). */
  readonly json: Buffer;
  readonly gzip: Buffer;
}

export interface Dataset {
  readonly seed: number;
  readonly batches: readonly DatasetBatch[];
  readonly recordCount: number;
  readonly inflatedBytes: number;
  readonly gzipBytes: number;
  /** sha256 of every gzip body in order: equal digests mean equal inputs. */
  readonly digest: string;
  /** The threat list (`ip_or_cidr,category,confidence`) the dataset's hits refer to. */
  readonly threatCsv: string;
  /** Records with at least one endpoint on the threat list. */
  readonly expectedThreatRecords: number;
}

/** Networks of the GeoIP/ASN test fixtures (libs/testing), so the fixture databases also get hits. */
const FIXTURE_NETWORKS_V4 = ['8.8.8', '1.1.1', '45.155.205', '185.220.101', '81.2.69'];
const PUBLIC_V6_PREFIXES = ['2001:4860:4860', '2606:4700:4700', '2a00:1450:4001', '2a03:2880:f003'];
const ZEEK_SERVICES: Record<number, string> = { 53: 'dns', 80: 'http', 443: 'ssl', 22: 'ssh', 3389: 'rdp', 445: 'smb', 123: 'ntp', 8080: 'http' };
const DST_PORTS = [53, 80, 443, 443, 443, 22, 3389, 445, 8080, 123];
const CONN_STATES = ['SF', 'S0', 'REJ', 'RSTO', 'SH', 'OTH'];
const HISTORIES = ['ShADadFf', 'Dd', 'S', 'ShR', 'ShADadfF', 'D'];
const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const BASE_TS = 1_732_288_800;

class TrafficShape {
  readonly threatHosts: string[] = [];
  readonly threatNetworks: string[] = ['185.220.101'];

  constructor(readonly random: () => number) {
    // A small list: one exact C2 host from the samples, a /24 of Tor exits, and 48 more hosts.
    this.threatHosts.push('45.155.205.233');
    while (this.threatHosts.length < 49) this.threatHosts.push(this.publicV4());
  }

  int(min: number, max: number): number {
    return min + Math.floor(this.random() * (max - min + 1));
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.random() * items.length)];
  }

  privateV4(): string {
    const r = this.random();
    if (r < 0.6) return `10.${this.int(0, 255)}.${this.int(0, 255)}.${this.int(1, 254)}`;
    if (r < 0.85) return `192.168.${this.int(0, 255)}.${this.int(1, 254)}`;
    return `172.${this.int(16, 31)}.${this.int(0, 255)}.${this.int(1, 254)}`;
  }

  /** A random globally routable IPv4 address (not private, loopback, CGNAT, link-local, multicast or reserved). */
  publicV4(): string {
    for (;;) {
      const a = this.int(1, 223);
      const b = this.int(0, 255);
      if (a === 10 || a === 127 || a === 0) continue;
      if (a === 100 && b >= 64 && b <= 127) continue;
      if (a === 169 && b === 254) continue;
      if (a === 172 && b >= 16 && b <= 31) continue;
      if (a === 192 && b === 168) continue;
      if (a === 198 && (b === 18 || b === 19)) continue;
      return `${a}.${b}.${this.int(0, 255)}.${this.int(1, 254)}`;
    }
  }

  publicV6(): string {
    return `${this.pick(PUBLIC_V6_PREFIXES)}::${this.int(1, 0xffff).toString(16)}`;
  }

  source(): string {
    const r = this.random();
    if (r < 0.82) return this.privateV4();
    if (r < 0.94) return this.publicV4();
    if (r < 0.97) return this.publicV6();
    return this.pick(this.threatHosts); // inbound from a listed host
  }

  destination(): string {
    const r = this.random();
    if (r < 0.4) return this.publicV4();
    if (r < 0.62) return `${this.pick(FIXTURE_NETWORKS_V4)}.${this.int(1, 254)}`;
    if (r < 0.7) return this.pick(this.threatHosts);
    if (r < 0.85) return this.privateV4();
    return this.publicV6();
  }

  isThreat(ip: string): boolean {
    if (this.threatHosts.includes(ip)) return true;
    return this.threatNetworks.some((network) => ip.startsWith(`${network}.`));
  }

  uid(): string {
    let uid = 'C';
    for (let i = 0; i < 17; i++) uid += BASE62[this.int(0, BASE62.length - 1)];
    return uid;
  }

  bytes(): number {
    // Heavy-tailed like real traffic: mostly small, some uploads past the 1 MB risk threshold.
    const r = this.random();
    if (r < 0.7) return this.int(40, 5_000);
    if (r < 0.95) return this.int(5_000, 500_000);
    return this.int(500_000, 5_000_000);
  }
}

function zeekRecord(shape: TrafficShape, ts: number, src: string, dst: string): Record<string, unknown> {
  const dstPort = shape.random() < 0.85 ? shape.pick(DST_PORTS) : shape.int(1, 65535);
  const proto = dstPort === 53 || dstPort === 123 ? 'udp' : shape.random() < 0.97 ? 'tcp' : 'icmp';
  const origBytes = shape.bytes();
  const respBytes = shape.bytes();
  const origPkts = Math.max(1, Math.round(origBytes / 900));
  const respPkts = Math.max(1, Math.round(respBytes / 900));
  const record: Record<string, unknown> = { ts, uid: shape.uid() };
  // Both spellings real shippers produce (underscore from json-streaming-logs, dotted from Zeek's own JSON).
  if (shape.random() < 0.5) {
    Object.assign(record, { id_orig_h: src, id_orig_p: shape.int(1024, 65535), id_resp_h: dst, id_resp_p: dstPort });
  } else {
    Object.assign(record, { 'id.orig_h': src, 'id.orig_p': shape.int(1024, 65535), 'id.resp_h': dst, 'id.resp_p': dstPort });
  }
  Object.assign(record, {
    proto,
    duration: Math.round(shape.random() * 60_000) / 1000,
    orig_bytes: origBytes,
    resp_bytes: respBytes,
    conn_state: shape.pick(CONN_STATES),
    local_orig: !src.includes(':') && (src.startsWith('10.') || src.startsWith('192.168.') || src.startsWith('172.')),
    local_resp: false,
    missed_bytes: 0,
    history: shape.pick(HISTORIES),
    orig_pkts: origPkts,
    orig_ip_bytes: origBytes + origPkts * 28,
    resp_pkts: respPkts,
    resp_ip_bytes: respBytes + respPkts * 28,
  });
  const service = ZEEK_SERVICES[dstPort];
  if (service && proto !== 'icmp') record.service = service;
  return record;
}

function flowRecord(shape: TrafficShape, ts: number, src: string, dst: string): Record<string, unknown> {
  const dstPort = shape.random() < 0.85 ? shape.pick(DST_PORTS) : shape.int(1, 65535);
  const tcp = !(dstPort === 53 || dstPort === 123);
  const bytes = shape.bytes();
  return {
    ts: Math.floor(ts),
    src_ip: src,
    dst_ip: dst,
    src_port: shape.int(1024, 65535),
    dst_port: dstPort,
    // Names and IANA numbers both occur in exporter output.
    protocol: shape.random() < 0.5 ? (tcp ? 'tcp' : 'udp') : tcp ? 6 : 17,
    bytes,
    packets: Math.max(1, Math.round(bytes / 1000)),
  };
}

/** The product's per-request limits: 10,000 records and 5 MiB inflated. */
export const MAX_BATCH_RECORDS = 10_000;
export const MAX_INFLATED_BYTES = 5 * 1024 * 1024;

/** The records of a batch, parsed from its JSON when needed, so the dataset holds no JS objects between stages. */
export function recordsOf(batch: DatasetBatch): Array<Record<string, unknown>> {
  return (JSON.parse(batch.json.toString('utf8')) as { records: Array<Record<string, unknown>> }).records;
}

export function generateDataset(options: { seed: number; batches: number; recordsPerBatch: number }): Dataset {
  const shape = new TrafficShape(seededRandom(options.seed));
  const batches: DatasetBatch[] = [];
  const digest = createHash('sha256');
  let inflatedBytes = 0;
  let gzipBytes = 0;
  let expectedThreatRecords = 0;
  let sequence = 0;
  for (let index = 0; index < options.batches; index++) {
    const format: IngressFormat = index % 2 === 0 ? 'zeek.conn' : 'flows.v1';
    // Several collectors: the ingress key is tenant:collector, so this is what spreads partitions.
    const collectorId = `bench-sensor-${index % 4}`;
    const records: Array<Record<string, unknown>> = [];
    for (let i = 0; i < options.recordsPerBatch; i++) {
      const ts = BASE_TS + sequence++ * 0.000731;
      const src = shape.source();
      const dst = shape.destination();
      if (shape.isThreat(src) || shape.isThreat(dst)) expectedThreatRecords++;
      records.push(format === 'zeek.conn' ? zeekRecord(shape, Math.round(ts * 1e6) / 1e6, src, dst) : flowRecord(shape, ts, src, dst));
    }
    const json = Buffer.from(JSON.stringify({ collector_id: collectorId, format, records }));
    if (json.length > MAX_INFLATED_BYTES) {
      throw new Error(`batch ${index} inflates to ${json.length} bytes, over the product's 5 MiB limit: lower BENCH_BATCH_RECORDS`);
    }
    const gzip = zlib.gzipSync(json, { level: 6 });
    digest.update(gzip);
    inflatedBytes += json.length;
    gzipBytes += gzip.length;
    batches.push({
      index,
      format,
      path: format === 'zeek.conn' ? '/v1/ingest/zeek' : '/v1/ingest/netflow',
      collectorId,
      recordCount: records.length,
      json,
      gzip,
    });
  }
  const threatCsv = [
    'ip_or_cidr,category,confidence',
    '# Written by the benchmark; the dataset hits these hosts and the /24.',
    ...shape.threatHosts.map((host, i) => `${host},${i === 0 ? 'C2' : i % 3 === 0 ? 'scanner' : 'malware'},${50 + (i % 50)}`),
    ...shape.threatNetworks.map((network) => `${network}.0/24,tor-exit,60`),
    '2001:db8:bad::/48,scanner,40',
  ].join('\n');
  return {
    seed: options.seed,
    batches,
    recordCount: options.batches * options.recordsPerBatch,
    inflatedBytes,
    gzipBytes,
    digest: digest.digest('hex'),
    threatCsv: `${threatCsv}\n`,
    expectedThreatRecords,
  };
}
