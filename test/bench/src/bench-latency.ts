import * as fs from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Admin, Kafka, KafkaMessage, logLevel } from 'kafkajs';
import { INGRESS_TOPICS, TOPICS } from '@telemetry/contracts';
import { ENRICHER_GROUP } from '@telemetry/enricher';
import { PROJECTION_GROUP } from '@telemetry/query';
import { kafkaBrokers } from '@telemetry/testing';
import { deleteIsolated, isolatedRenames, openRenamedKafkaLog } from './bench-kafka';
import { epochMs, loadBodies, pacedLoad, PacedLoadResult, PacedRequest } from './bench-load';
import { Meter, percentile, until } from './bench-meter';
import { BENCH_KEY, ProductOptions, RunningApp, startAllInOne } from './bench-product';
import { BenchSettings, ENRICHER_MAX_BATCH, finish, PROJECTION_MAX_BATCH, StageResult, withMeasurement } from './bench-stages';
import type { Renames } from './topic-remapping.event-log';

/**
 * Targets 6 and 7 of issue #9 on the Kafka whole stack of the e2e stage (the all-in-one in this
 * process, on topics and groups renamed for the run): the latency from an ingest acknowledgement to
 * the enriched record on the enriched topic at a steady offered rate, and a soak that watches every
 * process's RSS and the consumer lag at a fixed share of the measured maximum.
 */

export interface LatencyOptions {
  readonly recordsPerSec: number;
  readonly durationS: number;
  readonly warmupS: number;
  readonly recordsPerRequest: number;
  /** Offered and enriched rates must both reach this share of the target for the run to count. */
  readonly sustainShare: number;
}

export interface SoakOptions {
  readonly recordsPerSec: number;
  /** Where the rate came from (BENCH_SOAK_RPS, half of e2e kafka, or the fallback). */
  readonly rateSource: string;
  readonly durationS: number;
  readonly recordsPerRequest: number;
  readonly sampleEveryS: number;
}

const NDJSON = 'application/x-ndjson';

/**
 * The enriched flows one message of the enriched topic carries. This follows the enriched-topic
 * frame contract: a message whose `content-type` header is `application/x-ndjson` holds one JSON
 * enriched flow per line ('\n'-separated, a trailing newline allowed); any other message is one
 * JSON flow. (To be replaced by the contracts' export of the same split.)
 */
export function enrichedFlowsOf(message: { value: Buffer | null; headers?: Record<string, unknown> }): unknown[] {
  if (!message.value) return [];
  const header = message.headers?.['content-type'];
  const contentType = Buffer.isBuffer(header) ? header.toString('utf8') : typeof header === 'string' ? header : undefined;
  const text = message.value.toString('utf8');
  if (contentType !== NDJSON) return [JSON.parse(text)];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.map((line) => JSON.parse(line) as unknown);
}

function kafkaClient(clientId: string): Kafka {
  return new Kafka({ clientId, brokers: kafkaBrokers(), logLevel: logLevel.NOTHING });
}

async function startKafkaWholeStack(settings: BenchSettings, label: string): Promise<{ app: RunningApp; renames: Renames; bootMs: number }> {
  const options: ProductOptions = {
    mode: 'kafka',
    geo: settings.geo,
    threatlistCsv: settings.threatlistCsv,
    partitions: settings.partitions,
    // 20k records/s in 500-record requests is 2,400 requests a minute from one key: the per-key limit
    // (600 by default) is off, as an operator would set it for such a collector; this measures the data path.
    env: { RATE_LIMIT_PER_MIN: '0' },
  };
  const renames = isolatedRenames(`bench-${settings.runId}-${label}`);
  const start = performance.now();
  try {
    const app = await startAllInOne(options, (config) => openRenamedKafkaLog(config, renames));
    return { app, renames, bootMs: performance.now() - start };
  } catch (error) {
    await deleteIsolated(renames).catch(() => undefined);
    throw error;
  }
}

function round(value: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

function failedRequests(load: PacedLoadResult): PacedRequest[] {
  return load.requests.filter((r) => r.error !== undefined || r.status !== 202 || r.accepted !== r.records);
}

// --- target 6: latency ---------------------------------------------------------------------------

/**
 * Matching a record to its request: every request carries its own collector id (X-Collector-Id,
 * the envelope has none), `lat-<run>-<seq>`. The enriched flow keeps `collector_id` verbatim, so
 * each flow names its request exactly, whatever the clocks do. `ingest.received_at` would also
 * survive enrichment, but it is the server's millisecond at the start of the request, so two
 * requests the server starts in the same millisecond (a stalled event loop catching up) would share
 * it; spacing the sends does not prevent that on the receiving side. The cost: one collector (and
 * one partition key) per request, which spreads the records over the partitions as several sensors do.
 */
export async function runLatency(settings: BenchSettings, options: LatencyOptions): Promise<StageResult> {
  const bodies = loadBodies({ seed: 7, count: 64, recordsPerRequest: options.recordsPerRequest, withoutCollector: true });
  const { app, renames, bootMs } = await startKafkaWholeStack(settings, 'latency');
  const probeGroup = `bench-${settings.runId}-latency-probe`;
  const collectorPrefix = `lat-${settings.runId}-`;
  const admin = kafkaClient('telemetry-bench-latency-admin').admin();
  await admin.connect();
  try {
    const ingressTopics = INGRESS_TOPICS.map((t) => renames.topics[t]);
    const enricherLag = () => groupLag(admin, renames.groups[ENRICHER_GROUP], ingressTopics);
    // The enricher group's lag once a second: ingress messages not committed yet (a message is a frame of
    // up to INGEST_RECORDS_PER_MESSAGE records, so one per request here), and whether it grows.
    const backlog: Array<{ s: number; backlog: number }> = [];
    const meter = new Meter();
    const load = await pacedLoad({
      port: app.port,
      apiKey: BENCH_KEY,
      bodies,
      recordsPerSec: options.recordsPerSec,
      durationMs: options.durationS * 1000,
      timeoutMs: settings.requestTimeoutMs,
      collectorOf: (seq) => `${collectorPrefix}${seq}`,
      tickMs: 1000,
      onTick: (elapsedMs) => {
        void enricherLag().then(
          (lag) => backlog.push({ s: round(elapsedMs / 1000), backlog: lag }),
          () => undefined,
        );
      },
    });
    const m = await finish(meter, load.lastSentAt);
    const failed = failedRequests(load);
    const acceptedTotal = load.requests.reduce((sum, r) => sum + (r.status === 202 ? (r.accepted ?? 0) : 0), 0);
    // Drain: the enricher group has committed every ingress record (so produced its enriched record),
    // or a bounded wait ran out (the rate was not sustained; what is left is reported, not waited for).
    const drainDeadline = performance.now() + Math.min(settings.deadlineMs, 30_000);
    let lagAtCutoff = await enricherLag();
    while (lagAtCutoff > 0 && performance.now() < drainDeadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      lagAtCutoff = await enricherLag();
    }
    const drained = lagAtCutoff === 0;
    let ingressMessages = 0;
    for (const topic of ingressTopics) for (const p of await admin.fetchTopicOffsets(topic)) ingressMessages += Number(p.high) - Number(p.low);
    const cutoffAt = performance.now();
    // The product stops before the probe reads, so the probe takes no CPU from it.
    await app.close();

    const ackEpoch = new Float64Array(load.requests.length);
    const inWindow = new Uint8Array(load.requests.length);
    const expected = new Uint32Array(load.requests.length);
    const windowStart = load.startedAt + options.warmupS * 1000;
    for (const r of load.requests) {
      ackEpoch[r.seq] = r.ackAt !== undefined ? epochMs(r.ackAt) : NaN;
      expected[r.seq] = r.status === 202 ? (r.accepted ?? 0) : 0;
      inWindow[r.seq] = r.sentAt >= windowStart && expected[r.seq] > 0 ? 1 : 0;
    }
    // The probe: a plain kafkajs consumer reading the run's enriched topic from its start to its end.
    const enrichedTopic = renames.topics[TOPICS.enriched];
    const ends = new Map((await admin.fetchTopicOffsets(enrichedTopic)).map((p) => [p.partition, Number(p.high)]));
    const next = new Map([...ends.keys()].map((partition) => [partition, 0]));
    const seenPerRequest = new Uint32Array(load.requests.length);
    const latencies: number[] = [];
    let firsts = 0;
    let duplicates = 0;
    let unacknowledgedWritten = 0;
    let foreign = 0;
    let enrichedInWindow = 0;
    const windowStartEpoch = epochMs(windowStart);
    const windowEndEpoch = epochMs(load.lastSentAt);
    let lastEnrichedEpoch = 0;
    const consumeStart = performance.now();
    const consumer = kafkaClient('telemetry-bench-latency').consumer({ groupId: probeGroup, maxBytes: 16 * 1024 * 1024 });
    await consumer.connect();
    try {
      await consumer.subscribe({ topic: enrichedTopic, fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachMessage: ({ partition, message }: { partition: number; message: KafkaMessage }) => {
          next.set(partition, Number(message.offset) + 1);
          const timestamp = Number(message.timestamp);
          for (const flow of enrichedFlowsOf(message)) {
            const collector = (flow as { collector_id?: unknown }).collector_id;
            const seq = typeof collector === 'string' && collector.startsWith(collectorPrefix) ? Number(collector.slice(collectorPrefix.length)) : NaN;
            if (!Number.isInteger(seq) || seq < 0 || seq >= load.requests.length) {
              foreign++;
              continue;
            }
            // A request answered other than 202 may still have been written (a 503 says so): not counted.
            if (expected[seq] === 0) {
              unacknowledgedWritten++;
              continue;
            }
            // A record enriched twice (a redelivery after a rebalance) counts once, at its first time.
            if (seenPerRequest[seq] >= expected[seq]) {
              duplicates++;
              continue;
            }
            seenPerRequest[seq]++;
            firsts++;
            lastEnrichedEpoch = Math.max(lastEnrichedEpoch, timestamp);
            if (timestamp >= windowStartEpoch && timestamp <= windowEndEpoch) enrichedInWindow++;
            if (inWindow[seq]) latencies.push(timestamp - ackEpoch[seq]);
          }
          return Promise.resolve();
        },
      });
      await until(() => ([...ends].every(([partition, end]) => (next.get(partition) ?? 0) >= end) ? true : undefined), {
        deadlineMs: settings.deadlineMs,
        intervalMs: 50,
        what: () => `latency probe: ${firsts} of ${acceptedTotal} enriched records read from ${enrichedTopic}`,
      });
    } finally {
      await consumer.disconnect();
    }
    const consumeMs = performance.now() - consumeStart;
    const notEnriched = acceptedTotal - firsts;
    if (foreign > 0) throw new Error(`latency: ${foreign} flow(s) on the run's enriched topic that no request of the run sent`);
    if (drained && notEnriched > 0)
      throw new Error(`latency: the enricher committed every ingress record, yet ${notEnriched} accepted record(s) are not on the enriched topic`);
    // Records still not enriched at the cutoff: their latency is at least cutoff − ack, counted as that (a lower bound).
    const cutoffEpoch = epochMs(cutoffAt);
    for (const r of load.requests) {
      if (!inWindow[r.seq]) continue;
      for (let k = seenPerRequest[r.seq]; k < expected[r.seq]; k++) latencies.push(cutoffEpoch - ackEpoch[r.seq]);
    }

    const windowMs = load.lastSentAt - windowStart;
    const offeredInWindow = load.requests.filter((r) => r.sentAt >= windowStart).reduce((sum, r) => sum + r.records, 0);
    const offeredRate = (offeredInWindow * 1000) / windowMs;
    const enrichedRate = (enrichedInWindow * 1000) / windowMs;
    const lateness = load.requests.map((r) => r.sentAt - r.dueAt);
    const ackLatency = load.requests.filter((r) => r.ackAt !== undefined).map((r) => r.ackAt! - r.sentAt);
    backlog.sort((a, b) => a.s - b.s);
    const afterWarmup = backlog.filter((b) => b.s >= options.warmupS);
    const backlogAtWarmup = afterWarmup[0]?.backlog ?? 0;
    const backlogAtEnd = afterWarmup[afterWarmup.length - 1]?.backlog ?? 0;
    const backlogGrowth = afterWarmup.length > 1 ? (backlogAtEnd - backlogAtWarmup) / (afterWarmup[afterWarmup.length - 1].s - afterWarmup[0].s) : 0;
    const problems: string[] = [];
    if (offeredRate < options.sustainShare * options.recordsPerSec)
      problems.push(`offered ${Math.round(offeredRate)} rec/s, under ${Math.round(options.sustainShare * 100)}% of ${options.recordsPerSec}`);
    if (enrichedRate < options.sustainShare * offeredRate)
      problems.push(
        `enriched ${Math.round(enrichedRate)} rec/s while ${Math.round(offeredRate)} rec/s were offered (enricher lag +${round(backlogGrowth, 1)} messages/s)`,
      );
    if (!drained)
      problems.push(
        `${notEnriched} accepted records (${lagAtCutoff} ingress messages, refused requests' included) not enriched ${Math.round((cutoffAt - load.lastSentAt) / 1000)} s after the last request`,
      );
    if (failed.length > 0)
      problems.push(`${failed.length} request(s) not accepted whole (first: ${failed[0].status ?? '-'} ${(failed[0].error ?? '').slice(0, 120)})`);
    const sustained = problems.length === 0;
    const p = (q: number) => round(percentile(latencies, q), 1);
    return withMeasurement(
      {
        stage: 'latency',
        mode: 'kafka',
        variant: `all-in-one, geo=${settings.geo}, Kafka + Postgres, open loop at ${options.recordsPerSec.toLocaleString('en-US')} rec/s, ${options.recordsPerRequest}-record gzip requests; ack → enriched on the topic`,
        records: offeredInWindow,
        batchRecords: options.recordsPerRequest,
        details: {
          sustained,
          notSustainedBecause: sustained ? undefined : problems.join('; '),
          latencyMsP50: p(50),
          latencyMsP95: p(95),
          latencyMsP99: p(99),
          latencyMsMax: round(
            latencies.reduce((a, b) => Math.max(a, b), -Infinity),
            1,
          ),
          latencyMsMin: round(
            latencies.reduce((a, b) => Math.min(a, b), Infinity),
            1,
          ),
          measuredRecords: latencies.length,
          targetRecordsPerSec: options.recordsPerSec,
          offeredRecordsPerSec: round(offeredRate, 0),
          enrichedRecordsPerSec: round(enrichedRate, 0),
          // Every accepted record enriched by the cutoff, over first request → last enriched record.
          enrichedRecordsPerSecOverall: round((firsts * 1000) / Math.max(1, lastEnrichedEpoch - epochMs(load.startedAt)), 0),
          acceptedRecords: acceptedTotal,
          windowS: round(windowMs / 1000, 2),
          warmupS: options.warmupS,
          requests: load.requests.length,
          failedRequests: failed.length,
          maxRequestsInFlight: load.maxInFlight,
          sendLatenessMsP99: round(percentile(lateness, 99), 1),
          ackMsP50: round(percentile(ackLatency, 50), 1),
          ackMsP99: round(percentile(ackLatency, 99), 1),
          // The enricher group's lag in ingress messages (frames); records per message measured over the run.
          enricherLagMessagesAfterWarmup: backlogAtWarmup,
          enricherLagMessagesAtLastSend: backlogAtEnd,
          enricherLagGrowthMessagesPerSec: round(backlogGrowth, 1),
          enricherLagMaxMessages: Math.max(0, ...backlog.map((b) => b.backlog)),
          ingressRecordsPerMessage: ingressMessages > 0 ? round(acceptedTotal / ingressMessages, 1) : undefined,
          drained,
          notEnrichedAtCutoff: notEnriched,
          // With records not enriched at the cutoff, the percentiles count them at the cutoff: lower bounds.
          latencyIsLowerBound: notEnriched > 0,
          cutoffAfterLastSendMs: round(cutoffAt - load.lastSentAt, 0),
          lastEnrichedAfterLastSendMs: round(lastEnrichedEpoch - windowEndEpoch, 0),
          duplicatesOnTopic: duplicates,
          recordsOfUnacceptedRequestsOnTopic: unacknowledgedWritten,
          bootMs: round(bootMs, 0),
          probeReadMs: round(consumeMs, 0),
          // The product and this load share the process and its event loop (as in the e2e stage).
          backlogPerSecond: backlog.map((b) => b.backlog),
        },
      },
      m,
    );
  } finally {
    await admin.disconnect();
    await app.close();
    await deleteIsolated(renames, [probeGroup]).catch(() => undefined);
  }
}

// --- target 7: soak ------------------------------------------------------------------------------

interface ProcessProbe {
  readonly name: string;
  /** The pids measured at each sample (a role may be several processes, e.g. Postgres backends). */
  pids(): number[];
  /**
   * 'vmrss': VmRSS, summed over the pids. 'private-mean': VmRSS − RssShmem, the mean per pid, for
   * Postgres backends: each one counts the shared buffers it has touched in its VmRSS, and the pool
   * opens and closes connections, so neither their VmRSS nor their sum tracks what they hold.
   */
  readonly measure: 'vmrss' | 'private-mean';
}

function statusKb(status: string, field: string): number | undefined {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status);
  return match ? Number(match[1]) : undefined;
}

function rssKb(pid: number, measure: ProcessProbe['measure']): number | undefined {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const vmRss = statusKb(status, 'VmRSS');
    if (vmRss === undefined || measure === 'vmrss') return vmRss;
    return vmRss - (statusKb(status, 'RssShmem') ?? 0);
  } catch {
    return undefined;
  }
}

function pidFromFile(file: string): number | undefined {
  try {
    const pid = Number(fs.readFileSync(file, 'utf8').split('\n')[0].trim());
    return Number.isInteger(pid) && pid > 0 && fs.existsSync(`/proc/${pid}`) ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Children of `parent` whose command line contains `needle` (Postgres backends name their database). */
function childrenOf(parent: number, needle: string): number[] {
  const pids: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid !== parent) continue;
      if (fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ').includes(needle)) pids.push(Number(entry));
    } catch {
      // Gone between readdir and read.
    }
  }
  return pids;
}

function processProbes(databaseUrl: string | undefined): ProcessProbe[] {
  const infra = path.resolve(__dirname, '../../../../.infra');
  const probes: ProcessProbe[] = [{ name: 'bench + all-in-one (this process)', pids: () => [process.pid], measure: 'vmrss' }];
  const broker = pidFromFile(path.join(infra, 'kafka/kafka.pid'));
  if (broker) probes.push({ name: 'Kafka broker (shared)', pids: () => [broker], measure: 'vmrss' });
  const postmaster = pidFromFile(path.join(infra, 'postgres/data/postmaster.pid'));
  if (postmaster) {
    probes.push({ name: 'Postgres postmaster (shared)', pids: () => [postmaster], measure: 'vmrss' });
    const database = databaseUrl ? new URL(databaseUrl).pathname.replace(/^\//, '') : undefined;
    if (database)
      probes.push({
        name: `Postgres backends of ${database}, mean VmRSS − RssShmem`,
        pids: () => childrenOf(postmaster, ` ${database} `),
        measure: 'private-mean',
      });
  }
  return probes;
}

async function groupLag(admin: Admin, groupId: string, topics: readonly string[]): Promise<number> {
  let lag = 0;
  const committed = await admin.fetchOffsets({ groupId, topics: [...topics] });
  for (const topic of topics) {
    const ends = await admin.fetchTopicOffsets(topic);
    const mine = committed.find((c) => c.topic === topic)?.partitions ?? [];
    for (const end of ends) {
      const offset = Number(mine.find((p) => p.partition === end.partition)?.offset ?? '-1');
      lag += Number(end.high) - (offset >= 0 ? offset : Number(end.low));
    }
  }
  return lag;
}

export interface SoakProcess {
  readonly name: string;
  readonly pids: string;
  readonly firstMb?: number;
  readonly endMb?: number;
  readonly ratio?: number;
}

export interface SoakGroup {
  readonly name: string;
  readonly unit: string;
  readonly max: number;
  readonly median: number;
  readonly end: number;
  /** end / max(median, floor): ≤ 2 is "bounded". */
  readonly endOverMedian: number;
  /** Least-squares slope of the lag over the samples, per second. */
  readonly growthPerSec: number;
  /**
   * The slope times the sampled span, over max(median, floor): a lag that climbs all run long meets
   * end ≤ 2× median (its median is half way up), so a trend larger than the typical lag itself is
   * called out as growth.
   */
  readonly grew: boolean;
}

/** Least-squares slope of `values` over `times` (per unit of time). */
function slope(times: readonly number[], values: readonly number[]): number {
  const count = Math.min(times.length, values.length);
  if (count < 2) return 0;
  const meanT = times.slice(0, count).reduce((a, b) => a + b, 0) / count;
  const meanV = values.slice(0, count).reduce((a, b) => a + b, 0) / count;
  let num = 0;
  let den = 0;
  for (let i = 0; i < count; i++) {
    num += (times[i] - meanT) * (values[i] - meanV);
    den += (times[i] - meanT) ** 2;
  }
  return den > 0 ? num / den : 0;
}

/**
 * The Kafka whole stack under a steady open-loop load for `durationS`, sampled every
 * `sampleEveryS`: VmRSS of each process, and the lag of the enricher group (messages on the ingress
 * topics) and of the projection group (messages on the enriched topic; both carry frames of many
 * records, so lags are in messages). RSS is compared between the
 * first minute (or 1/6 of the run when shorter) and the end. The Kafka broker and the Postgres
 * postmaster serve every run on the box, so their figures include others' work.
 */
export async function runSoak(settings: BenchSettings, options: SoakOptions): Promise<StageResult> {
  const bodies = loadBodies({ seed: 11, count: 64, recordsPerRequest: options.recordsPerRequest, withoutCollector: false });
  const { app, renames, bootMs } = await startKafkaWholeStack(settings, 'soak');
  const admin = kafkaClient('telemetry-bench-soak').admin();
  await admin.connect();
  try {
    const probes = processProbes(app.databaseName);
    const enricherGroup = renames.groups[ENRICHER_GROUP];
    const projectionGroup = renames.groups[PROJECTION_GROUP];
    const ingressTopics = INGRESS_TOPICS.map((t) => renames.topics[t]);
    const enrichedTopic = renames.topics[TOPICS.enriched];
    const samples: Array<{ s: number; rssKb: Array<number | undefined>; pidCounts: number[]; enricherLag?: number; projectionLag?: number }> = [];
    const pending: Array<Promise<void>> = [];
    const sample = (elapsedMs: number) => {
      const pidLists = probes.map((probe) => probe.pids());
      const rss = pidLists.map((pids, i) => {
        const values = pids.map((pid) => rssKb(pid, probes[i].measure)).filter((v): v is number => v !== undefined);
        if (values.length === 0) return undefined;
        const sum = values.reduce((a, b) => a + b, 0);
        return probes[i].measure === 'private-mean' ? sum / values.length : sum;
      });
      const entry: (typeof samples)[number] = { s: round(elapsedMs / 1000), rssKb: rss, pidCounts: pidLists.map((p) => p.length) };
      samples.push(entry);
      pending.push(
        Promise.all([groupLag(admin, enricherGroup, ingressTopics), groupLag(admin, projectionGroup, [enrichedTopic])]).then(
          ([enricher, projection]) => {
            entry.enricherLag = enricher;
            entry.projectionLag = projection;
          },
          () => undefined,
        ),
      );
    };
    const meter = new Meter();
    sample(0);
    const load = await pacedLoad({
      port: app.port,
      apiKey: BENCH_KEY,
      bodies,
      recordsPerSec: options.recordsPerSec,
      durationMs: options.durationS * 1000,
      timeoutMs: settings.requestTimeoutMs,
      tickMs: options.sampleEveryS * 1000,
      onTick: sample,
    });
    sample(load.lastSentAt - load.startedAt);
    await Promise.all(pending);
    const m = await finish(meter, load.lastSentAt);
    const failed = failedRequests(load);
    const firstAtS = Math.min(60, options.durationS / 6);
    const first = samples.find((s) => s.s >= firstAtS) ?? samples[samples.length - 1];
    const last = samples[samples.length - 1];
    const processes: SoakProcess[] = probes.map((probe, i) => {
      const firstMb = first.rssKb[i] !== undefined ? first.rssKb[i]! / 1024 : undefined;
      const endMb = last.rssKb[i] !== undefined ? last.rssKb[i]! / 1024 : undefined;
      return {
        name: probe.name,
        pids: `${Math.min(...samples.map((s) => s.pidCounts[i]))}-${Math.max(...samples.map((s) => s.pidCounts[i]))} process(es)`,
        firstMb: firstMb === undefined ? undefined : round(firstMb),
        endMb: endMb === undefined ? undefined : round(endMb),
        ratio: firstMb && endMb ? round(endMb / firstMb, 3) : undefined,
      };
    });
    // Lag floor: one poll of the group (what a healthy consumer may have in hand at any sample), in messages.
    const lagGroup = (name: string, unit: string, floor: number, pick: (s: (typeof samples)[number]) => number | undefined): SoakGroup => {
      const points = samples.filter((s) => s.s >= firstAtS && pick(s) !== undefined);
      const values = points.map((s) => pick(s)!);
      const median = percentile(values, 50);
      const end = values[values.length - 1] ?? 0;
      const growthPerSec = slope(
        points.map((s) => s.s),
        values,
      );
      const span = points.length > 1 ? points[points.length - 1].s - points[0].s : 0;
      const typical = Math.max(median, floor);
      return {
        name,
        unit,
        max: Math.max(0, ...values),
        median,
        end,
        endOverMedian: round(end / typical, 3),
        growthPerSec: round(growthPerSec, 1),
        grew: growthPerSec * span > typical,
      };
    };
    // Lags are in messages (frames of many records on both topics); a poll of each group, in messages,
    // from the records per message measured over the run, is the floor of "typical".
    const accepted = load.requests.reduce((sum, r) => sum + (r.accepted ?? 0), 0);
    const messagesOf = async (topics: readonly string[]) => {
      let total = 0;
      for (const topic of topics) for (const p of await admin.fetchTopicOffsets(topic)) total += Number(p.high) - Number(p.low);
      return total;
    };
    const recordsPerIngressMessage = accepted / Math.max(1, await messagesOf(ingressTopics));
    const flowsPerEnrichedMessage = accepted / Math.max(1, await messagesOf([enrichedTopic]));
    const groups = [
      lagGroup('enricher group', 'ingress messages', Math.ceil(ENRICHER_MAX_BATCH / Math.max(1, recordsPerIngressMessage)), (s) => s.enricherLag),
      lagGroup('projection group', 'enriched messages', Math.ceil(PROJECTION_MAX_BATCH / Math.max(1, flowsPerEnrichedMessage)), (s) => s.projectionLag),
    ];
    const worstRatio = Math.max(...processes.map((p) => p.ratio ?? 0));
    const worstLag = Math.max(...groups.map((g) => g.endOverMedian));
    const lagGrowth = groups.filter((g) => g.grew).map((g) => `${g.name} lag grew ${Math.round(g.growthPerSec)} ${g.unit}/s`);
    return withMeasurement(
      {
        stage: 'soak',
        mode: 'kafka',
        variant: `all-in-one, geo=${settings.geo}, Kafka + Postgres, open loop at ${options.recordsPerSec.toLocaleString('en-US')} rec/s (${options.rateSource}) for ${options.durationS} s`,
        records: accepted,
        batchRecords: options.recordsPerRequest,
        details: {
          targetRecordsPerSec: options.recordsPerSec,
          rateSource: options.rateSource,
          durationS: options.durationS,
          rssFirstAtS: first.s,
          rssEndAtS: last.s,
          processes,
          lag: groups,
          recordsPerIngressMessage: round(recordsPerIngressMessage, 1),
          flowsPerEnrichedMessage: round(flowsPerEnrichedMessage, 1),
          worstRssEndOverFirst: worstRatio,
          worstLagEndOverMedian: worstLag,
          lagGrowth: lagGrowth.length > 0 ? lagGrowth.join('; ') : undefined,
          requests: load.requests.length,
          failedRequests: failed.length,
          firstFailure: failed.length > 0 ? `${failed[0].status ?? '-'} ${(failed[0].error ?? '').slice(0, 120)}` : undefined,
          maxRequestsInFlight: load.maxInFlight,
          bootMs: round(bootMs, 0),
          samples: samples.map((s) => ({
            s: s.s,
            rssMb: s.rssKb.map((v) => (v === undefined ? null : round(v / 1024))),
            enricherLag: s.enricherLag,
            projectionLag: s.projectionLag,
          })),
        },
      },
      m,
    );
  } finally {
    await admin.disconnect();
    await app.close();
    await deleteIsolated(renames).catch(() => undefined);
  }
}
