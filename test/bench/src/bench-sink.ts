import { fork } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { DEFAULT_SINK_RETRY_DELAYS_MS, FRAME_HEADERS, isFrame, sinkDeadLetterTopic, sinkRetryTopic, TOPICS } from '@telemetry/contracts';
import { EmbeddedEventLog, EventLog, KafkaEventLog, OutgoingRecord, RecordBatch } from '@telemetry/event-log';
import { ElasticBulkExporter, Exporter, SinkObserver, SinkRunner, SplunkHecExporter } from '@telemetry/sink';
import { FakeHecOptions, kafkaBrokers, opensearchUrl } from '@telemetry/testing';
import type { FakeHecCommand, FakeHecMessage, FakeHecTotals } from './bench-fake-hec.child';
import { deleteIsolated } from './bench-kafka';
import { Meter, percentile, until } from './bench-meter';
import { Mode, tempDir } from './bench-product';
import { BenchSettings, finish, MB, rate, StageResult, sumOffsets, withMeasurement } from './bench-stages';

/**
 * (e) the sinks: a source topic pre-filled with enriched flows (the enricher core's output for the
 * bench dataset), then the product's SinkRunner — poll → exporter per destination request →
 * retry/DLQ routing → commit — timed from subscribe until the destination holds every flow. Each
 * run has its own sink name (so its own retry and dead-letter topics) and consumer groups; the
 * Kafka topics and groups, the OpenSearch indices and template are deleted afterwards.
 */

export type SinkDestination = 'hec' | 'hec-ack' | 'opensearch';
export const SINK_DESTINATIONS: readonly SinkDestination[] = ['hec', 'hec-ack', 'opensearch'];

/** The product's default SINK_BATCH_MAX_BYTES: with 500 records of ~1.3 KB the record limit is the one that binds. */
const SINK_BATCH_MAX_BYTES = 5 * 1024 * 1024;
/** Messages per publish when pre-filling: about what the enricher publishes for a 5,000-record poll. */
const PREFILL_CHUNK = 25;

export interface SinkInput {
  /** Enriched messages as the enricher publishes them (frames: key, NDJSON value, headers), values as Buffers (off the JS heap). */
  readonly records: readonly OutgoingRecord[];
  /** The enriched flows in them. */
  readonly flows: number;
  /** Enriched JSON bytes of all flows: what the sink reads and ships, before the destination's envelope and gzip. */
  readonly bytes: number;
}

/** Whole enriched messages spread evenly over the dataset (both formats, every traffic shape), until they hold `count` flows. */
export function sinkInputOf(messages: readonly OutgoingRecord[], count: number): SinkInput {
  const flowsOf = (message: OutgoingRecord) => (isFrame(message.headers ?? {}) ? Number(message.headers?.[FRAME_HEADERS.recordCount]) : 1);
  const total = messages.reduce((sum, message) => sum + flowsOf(message), 0);
  const share = Math.min(1, count / Math.max(1, total));
  const records: OutgoingRecord[] = [];
  let flows = 0;
  let bytes = 0;
  for (let i = 0; i < messages.length && flows < count; i++) {
    // Take message i when it brings the running share up to `share` of the messages seen so far.
    if (records.length >= Math.ceil((i + 1) * share)) continue;
    const message = messages[i];
    const value = Buffer.isBuffer(message.value) ? message.value : Buffer.from(message.value);
    flows += flowsOf(message);
    bytes += value.length;
    records.push({ key: message.key, value, headers: message.headers });
  }
  return { records, flows, bytes };
}

// --- the pre-filled source topic --------------------------------------------------------------------

export interface SinkSource {
  readonly mode: Mode;
  readonly log: EventLog;
  readonly topic: string;
  /** Enriched flows on the source topic. */
  readonly records: number;
  /** Messages on the source topic (frames of flows). */
  readonly messages: number;
  readonly prefillMs: number;
  /** Topics and consumer groups the runs create on this log, removed by `cleanup` (Kafka). */
  readonly created: { readonly topics: Set<string>; readonly groups: Set<string> };
  cleanup(): Promise<void>;
}

/** A fresh log (a new embedded data dir, or the broker under unique names) with the input on one source topic. */
export async function prefillSinkSource(mode: Mode, input: SinkInput, settings: BenchSettings): Promise<SinkSource> {
  const topic = `bench-${settings.runId}-sink-${mode}.${TOPICS.enriched}`;
  const created = { topics: new Set([topic]), groups: new Set<string>() };
  let dataDir: string | undefined;
  let log: EventLog;
  if (mode === 'kafka') {
    log = await KafkaEventLog.connect({ brokers: kafkaBrokers(), clientId: 'telemetry-bench' });
  } else {
    dataDir = tempDir('sink');
    log = await EmbeddedEventLog.open({ dataDir, defaultPartitions: settings.partitions });
  }
  const cleanup = async () => {
    await log.close();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    if (mode === 'kafka') {
      const all = (names: Set<string>) => Object.fromEntries([...names].map((name) => [name, name]));
      await deleteIsolated({ topics: all(created.topics), groups: all(created.groups) });
    }
  };
  try {
    const start = performance.now();
    await log.ensureTopics([{ name: topic, partitions: settings.partitions, retentionMs: 7 * 24 * 3_600_000 }]);
    for (let from = 0; from < input.records.length; from += PREFILL_CHUNK) await log.publish(topic, input.records.slice(from, from + PREFILL_CHUNK));
    const messages = await sumOffsets(log.endOffsets(topic));
    if (messages !== input.records.length) throw new Error(`sink prefill: the source topic holds ${messages} messages, ${input.records.length} were published`);
    return { mode, log, topic, records: input.flows, messages, prefillMs: performance.now() - start, created, cleanup };
  } catch (error) {
    await cleanup().catch(() => undefined);
    throw error;
  }
}

// --- destinations ---------------------------------------------------------------------------------

/** What went over the wire to the destination, seen through the exporter's `fetch` option. */
interface WireStats {
  /** Requests carrying flows (_bulk, services/collector/event). */
  dataRequests: number;
  ackRequests: number;
  /** Request bodies as sent (gzip), every request. */
  bytes: number;
  /** Time with at least one request in flight (until the answer's headers). */
  busyMs: number;
  readonly latenciesMs: number[];
  inFlight: number;
  busySince: number;
}

function watchedFetch(stats: WireStats): typeof fetch {
  return (async (input: string | URL | Request, init?: RequestInit) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const body = init?.body;
    stats.bytes += typeof body === 'string' ? Buffer.byteLength(body) : body instanceof Uint8Array ? body.byteLength : 0;
    if (url.includes('/services/collector/ack')) stats.ackRequests += 1;
    else if (url.includes('/_bulk') || url.includes('/services/collector/event')) stats.dataRequests += 1;
    const started = performance.now();
    if (stats.inFlight++ === 0) stats.busySince = started;
    try {
      return await fetch(input, init);
    } finally {
      const ended = performance.now();
      stats.latenciesMs.push(ended - started);
      if (--stats.inFlight === 0) stats.busyMs += ended - stats.busySince;
    }
  }) as typeof fetch;
}

interface FakeHecProcess {
  readonly url: string;
  readonly token: string;
  totals(): Promise<FakeHecTotals>;
  close(): Promise<void>;
}

/** The fake HEC in a child process (bench-fake-hec.child.ts), answering over IPC. */
async function startFakeHecProcess(options: FakeHecOptions): Promise<FakeHecProcess> {
  const child = fork(path.join(__dirname, 'bench-fake-hec.child.js'), [JSON.stringify(options)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    execArgv: [],
  });
  const waiting: Array<{ resolve: (message: FakeHecMessage) => void; reject: (error: Error) => void }> = [];
  let exited: Error | undefined;
  const exit = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.on('message', (message: FakeHecMessage) => waiting.shift()?.resolve(message));
  // E.g. a send on a channel that just closed: the waiters fail instead of the bench crashing on an unhandled 'error'.
  child.on('error', (error) => {
    for (const waiter of waiting.splice(0)) waiter.reject(error);
  });
  child.once('exit', (code, signal) => {
    exited = new Error(`the fake HEC process exited (${signal ?? `code ${code}`})`);
    for (const waiter of waiting.splice(0)) waiter.reject(exited);
  });
  const ask = (command?: FakeHecCommand) =>
    new Promise<FakeHecMessage>((resolve, reject) => {
      if (exited) return reject(exited);
      waiting.push({ resolve, reject });
      if (command) child.send(command);
    });
  const ready = await ask();
  if (ready.type !== 'ready') throw new Error(`the fake HEC process answered ${ready.type} before it was ready`);
  return {
    url: ready.url,
    token: ready.token,
    totals: async () => {
      const answer = await ask({ type: 'count' });
      if (answer.type !== 'count') throw new Error(`the fake HEC process answered ${answer.type} to count`);
      return answer;
    },
    close: async () => {
      if (exited) return;
      child.send({ type: 'close' } satisfies FakeHecCommand);
      const timer = setTimeout(() => child.kill(), 5_000);
      await exit;
      clearTimeout(timer);
    },
  };
}

/** A plain call to the OpenSearch node (setup, counting, cleanup); not through the exporter. */
async function opensearch(method: string, target: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${opensearchUrl()}${target}`, { method, signal: AbortSignal.timeout(30_000) });
  const text = await response.text();
  let body: Record<string, unknown> = {};
  try {
    body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    body = { text };
  }
  return { status: response.status, body };
}

async function opensearchCount(indices: string): Promise<number> {
  const refreshed = await opensearch('POST', `/${indices}/_refresh`);
  if (refreshed.status !== 200) throw new Error(`POST /${indices}/_refresh answered ${refreshed.status}: ${JSON.stringify(refreshed.body).slice(0, 300)}`);
  const answer = await opensearch('GET', `/${indices}/_count`);
  if (answer.status !== 200 || typeof answer.body.count !== 'number')
    throw new Error(`GET /${indices}/_count answered ${answer.status}: ${JSON.stringify(answer.body).slice(0, 300)}`);
  return answer.body.count;
}

interface Destination {
  readonly exporter: Exporter;
  readonly variant: string;
  /** The destination's own count of the flows it holds. */
  count(): Promise<{ stored: number; distinct: number; extra?: Record<string, unknown> }>;
  /** A cheap "might be complete" before the real count (OpenSearch: the runner says all were delivered). */
  ready(delivered: number, expected: number): boolean;
  close(): Promise<void>;
}

async function openDestination(destination: SinkDestination, sink: string, wire: WireStats): Promise<Destination> {
  if (destination === 'opensearch') {
    const root = await opensearch('GET', '/');
    const version = (root.body.version as { number?: string } | undefined)?.number ?? '?';
    const indices = `${sink}-*`;
    return {
      // As the sink-elastic app builds it (ELASTIC_MANAGE_TEMPLATE on), on a pattern of this run.
      exporter: new ElasticBulkExporter({
        url: opensearchUrl(),
        indexPattern: `${sink}-{yyyy.MM.dd}`,
        manageTemplate: true,
        gzip: true,
        fetch: watchedFetch(wire),
      }),
      variant: `SinkRunner → ElasticBulkExporter → OpenSearch ${version} _bulk, gzip, template`,
      count: async () => {
        const stored = await opensearchCount(indices);
        // One document per _id: the count is the number of distinct event ids.
        return { stored, distinct: stored };
      },
      ready: (delivered, expected) => delivered >= expected,
      close: async () => {
        await opensearch('DELETE', `/${indices}?expand_wildcards=all`);
        await opensearch('DELETE', `/_index_template/telemetry-${sink}*`);
      },
    };
  }
  const ack = destination === 'hec-ack';
  const hec = await startFakeHecProcess({ ackEnabled: ack });
  return {
    // As the sink-splunk app builds it (SPLUNK_HEC_GZIP on, SPLUNK_HEC_ACK, SPLUNK_HEC_ACK_TIMEOUT_MS 30 s).
    exporter: new SplunkHecExporter({ url: hec.url, token: hec.token, gzip: true, ack: { enabled: ack, timeoutMs: 30_000 }, fetch: watchedFetch(wire) }),
    variant: `SinkRunner → SplunkHecExporter → fake HEC (own process), gzip, ack ${ack ? 'on (acks at once)' : 'off'}`,
    count: async () => {
      const totals = await hec.totals();
      return {
        stored: totals.events,
        distinct: totals.distinctEventIds,
        extra: { hecEventRequests: totals.eventRequests, hecAckRequests: totals.ackRequests, hecRefused: totals.refusedRequests },
      };
    },
    ready: () => true,
    close: () => hec.close(),
  };
}

// --- one timed run --------------------------------------------------------------------------------

/**
 * The SinkRunner with one destination on the pre-filled source, under a new sink name and groups.
 * Timed from subscribe (its retry and DLQ topics exist already) until the destination holds every
 * record; then, off the clock: the group committed the end of the source, nothing was
 * dead-lettered, and the destination holds each flow exactly once.
 */
export async function runSink(destination: SinkDestination, source: SinkSource, input: SinkInput, settings: BenchSettings): Promise<StageResult> {
  const sink = `bench-${settings.runId}-${source.mode}-${destination}`;
  const groupPrefix = `bench-${settings.runId}`;
  const retryDelaysMs = DEFAULT_SINK_RETRY_DELAYS_MS;
  const retryTopics = retryDelaysMs.map((_, index) => sinkRetryTopic(sink, index + 1));
  const mainGroup = `${groupPrefix}-sink-${sink}`;
  for (const topic of [...retryTopics, sinkDeadLetterTopic(sink)]) source.created.topics.add(topic);
  source.created.groups.add(mainGroup);
  retryTopics.forEach((_, index) => source.created.groups.add(`${mainGroup}-retry-${index + 1}`));

  const n = source.records;
  const wire: WireStats = { dataRequests: 0, ackRequests: 0, bytes: 0, busyMs: 0, latenciesMs: [], inFlight: 0, busySince: 0 };
  const observed = {
    delivered: 0,
    exports: 0,
    exportSeconds: 0,
    retried: new Map<string, number>(),
    deadLettered: new Map<string, number>(),
    paused: null as string | null,
  };
  const add = (map: Map<string, number>, key: string, count: number) => map.set(key, (map.get(key) ?? 0) + count);
  const observer: SinkObserver = {
    delivered: (count, _batchSize, seconds) => {
      observed.delivered += count;
      observed.exports += 1;
      observed.exportSeconds += seconds;
    },
    retried: (errorClass, count) => add(observed.retried, errorClass, count),
    deadLettered: (errorClass, count) => add(observed.deadLettered, errorClass, count),
    paused: (reason) => (observed.paused = reason),
  };

  const target = await openDestination(destination, sink, wire);
  const runner = new SinkRunner(
    source.log,
    target.exporter,
    {
      sink,
      groupPrefix,
      retryDelaysMs,
      batch: { maxRecords: settings.sinkBatchRecords, maxBytes: SINK_BATCH_MAX_BYTES },
      partitions: settings.partitions,
      sourceTopic: source.topic,
    },
    observer,
  );
  try {
    await source.log.ensureTopics(runner.topicSpecs());
    let firstBatchAt: number | undefined;
    let polledBatches = 0;
    const handleMain = runner.handleMain.bind(runner);
    runner.handleMain = async (batch: RecordBatch) => {
      firstBatchAt ??= performance.now();
      await handleMain(batch);
      polledBatches += 1;
    };
    let held: Awaited<ReturnType<Destination['count']>> | undefined;
    const meter = new Meter();
    await runner.start();
    const joinedAt = performance.now();
    await until(
      async () => {
        if (!target.ready(observed.delivered, n)) return undefined;
        held = await target.count();
        return held.stored >= n ? true : undefined;
      },
      {
        deadlineMs: settings.deadlineMs,
        intervalMs: source.mode === 'kafka' ? 25 : 10,
        what: () =>
          `the destination holds ${held?.stored ?? 0} of ${n} (runner: ${observed.delivered} delivered, ` +
          `${[...observed.retried.values()].reduce((a, b) => a + b, 0)} retried, ${[...observed.deadLettered.values()].reduce((a, b) => a + b, 0)} dead-lettered` +
          `${observed.paused ? `, paused: ${observed.paused}` : ''})`,
      },
    );
    const m = await finish(meter);

    // Off the clock: the commit, the DLQ, exact counts.
    await until(async () => ((await sumOffsets(source.log.committedOffsets(mainGroup, source.topic))) >= source.messages ? true : undefined), {
      deadlineMs: settings.deadlineMs,
      intervalMs: 25,
      what: () => `the sink's group to commit the end of the source topic (${source.messages} messages, ${n} flows)`,
    });
    await runner.stop();
    const deadLetters = await sumOffsets(source.log.endOffsets(sinkDeadLetterTopic(sink)));
    let retries = 0;
    for (const topic of retryTopics) retries += await sumOffsets(source.log.endOffsets(topic));
    const final = await target.count();
    if (deadLetters !== 0 || observed.deadLettered.size > 0) {
      throw new Error(`sink ${destination}: ${deadLetters} record(s) on the dead-letter topic (${JSON.stringify(Object.fromEntries(observed.deadLettered))})`);
    }
    if (final.stored !== n || final.distinct !== n) {
      throw new Error(`sink ${destination}: the destination holds ${final.stored} flows (${final.distinct} distinct event ids), expected exactly ${n}`);
    }
    const steadyMs = m.wallMs - ((firstBatchAt ?? joinedAt) - meter.startedAt);
    return withMeasurement(
      {
        stage: 'sink',
        mode: source.mode,
        variant: target.variant,
        records: n,
        batchRecords: settings.sinkBatchRecords,
        mbPerSecCompressed: rate(wire.bytes / MB, m.wallMs),
        mbPerSecInflated: rate(input.bytes / MB, m.wallMs),
        details: {
          destinationRequests: wire.dataRequests,
          recordsPerRequest: n / Math.max(1, observed.exports),
          ...(wire.ackRequests > 0 ? { ackRequests: wire.ackRequests } : {}),
          enrichedBytes: input.bytes,
          meanEnrichedBytes: Math.round(input.bytes / n),
          wireBytes: wire.bytes,
          requestMsP50: percentile(wire.latenciesMs, 50),
          requestMsMax: Math.max(...wire.latenciesMs),
          // Share of the wall time with a destination request in flight; seconds inside exporter.export per
          // second (above 1: partitions delivered concurrently).
          destinationBusyShare: wire.busyMs / m.wallMs,
          exportSecondsPerSecond: (observed.exportSeconds * 1000) / m.wallMs,
          polledBatches,
          subscribeMs: joinedAt - meter.startedAt,
          firstBatchAfterMs: (firstBatchAt ?? joinedAt) - meter.startedAt,
          steadyStateRecordsPerSec: rate(n, steadyMs),
          retriedToTopics: retries,
          prefillMs: source.prefillMs,
          ...final.extra,
        },
      },
      m,
    );
  } finally {
    try {
      await runner.stop();
    } finally {
      await target.close();
    }
  }
}
