import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  EnrichedFlow,
  FLOW_EXPORTER_FIELD_SPELLINGS,
  FLOW_FIELD_SPELLINGS,
  ENRICHED_HEADERS,
  enrichedFlowRecords,
  FRAME_HEADERS,
  frameHeaders,
  frameRuns,
  HEADERS,
  INGRESS_TOPICS,
  IngressFormat,
  TOPICS,
} from '@telemetry/contracts';
import { DEFAULT_ENRICHED_FLOWS_PER_MESSAGE, ENRICHER_GROUP, EnricherMetrics, IngressBatchOptions, processIngressBatch } from '@telemetry/enricher';
import type { INestMicroservice } from '@nestjs/common';
import { EnrichDependencies, enrich, eventIdFor, normalize } from '@telemetry/enrichment';
import { EmbeddedEventLog, EventLog, LogRecord, OutgoingRecord, RecordBatch } from '@telemetry/event-log';
import { DEFAULT_INGEST_RECORDS_PER_MESSAGE, FRAME_MAX_BYTES, INGRESS_TOPIC_BY_FORMAT } from '@telemetry/ingest';
import { EnrichedEventsProjection, EnrichedEventsQueries, SqlStore, SQL_STORE } from '@telemetry/persistence';
import { ProjectionMetrics } from '@telemetry/query';

import { defaultTopicSpecs } from '@telemetry/contracts';
import { Dataset, recordsOf } from './bench-dataset';
import { EnricherProgress, startBenchEnricher } from './bench-enricher.app';
import { assertAllAccepted, getText, postBatches } from './bench-http';
import { deleteIsolated, isolatedRenames, openRenamedKafkaLog, openRenamedKafkaLogDirect } from './bench-kafka';
import { Measurement, Meter, percentile, settle, until } from './bench-meter';
import { BENCH_KEY, dropDatabase, freshDatabase, Mode, ProductOptions, RunningApp, startAllInOne, startIngestOnly, tempDir } from './bench-product';
import { Renames, TopicRemappingEventLog } from './topic-remapping.event-log';

export type StageName =
  'auth' | 'admin' | 'threat-intel' | 'floor' | 'e2e' | 'latency' | 'soak' | 'ingest' | 'enrich-core' | 'enrich-log' | 'enrich-scale' | 'projection' | 'sink';

export interface StageResult {
  readonly stage: StageName;
  readonly mode: Mode | 'n/a';
  readonly variant: string;
  readonly records: number;
  readonly batchRecords: number;
  readonly wallMs: number;
  readonly recordsPerSec: number;
  readonly mbPerSecCompressed?: number;
  readonly mbPerSecInflated?: number;
  readonly recordsPerCpuSec?: number;
  readonly eventLoopUtilization?: number;
  readonly machineBusy?: number;
  /** Share of the wall time the main thread spent in GC pauses. */
  readonly gcShare?: number;
  readonly details: Record<string, unknown>;
}

export interface BenchSettings {
  readonly batches: number;
  readonly batchRecords: number;
  readonly concurrency: number;
  readonly partitions: number;
  readonly deadlineMs: number;
  readonly requestTimeoutMs: number;
  readonly geo: 'default' | 'fixture';
  readonly threatlistCsv: string;
  readonly runId: string;
  /** Records per destination request of the sink stage (SINK_BATCH_MAX_RECORDS). */
  readonly sinkBatchRecords: number;
}

export const MB = 1024 * 1024;
/** The enricher's and the projection's poll sizes (IngressConsumer, EnrichedEventsConsumer). */
export const ENRICHER_MAX_BATCH = 5_000;
export const PROJECTION_MAX_BATCH = 2_000;
const RECEIVED_AT = '2024-11-22T15:20:00.000Z';

export function rate(records: number, ms: number): number {
  return ms > 0 ? (records * 1000) / ms : 0;
}

/** Stops the meter at `end` (default now) once pending GC entries have been delivered. */
export async function finish(meter: Meter, end = performance.now()): Promise<Measurement> {
  await settle();
  return meter.stop(end);
}

export function withMeasurement(
  base: Omit<StageResult, 'wallMs' | 'recordsPerSec' | 'recordsPerCpuSec' | 'eventLoopUtilization' | 'machineBusy' | 'gcShare'>,
  m: Measurement,
): StageResult {
  return {
    ...base,
    wallMs: m.wallMs,
    recordsPerSec: rate(base.records, m.wallMs),
    recordsPerCpuSec: rate(base.records, m.processCpuMs),
    eventLoopUtilization: m.eventLoopUtilization,
    machineBusy: m.machineBusy,
    gcShare: m.wallMs > 0 ? m.gcMs / m.wallMs : undefined,
  };
}

// --- inputs as the enricher and the projection see them -------------------------------------------

/**
 * The dataset as ingress LogRecords, exactly as IngestService publishes them (frames of
 * `recordsPerMessage` JSON records within FRAME_MAX_BYTES, or one per message when it is 1, as a
 * direct producer writes; the same headers and key), in polled batches of at most the enricher's
 * record count.
 */
export function ingressBatches(dataset: Dataset, tenant: string, partitions: number, recordsPerMessage = DEFAULT_INGEST_RECORDS_PER_MESSAGE): RecordBatch[] {
  const nextOffset = new Map<string, number>();
  const batches: RecordBatch[] = [];
  for (const batch of dataset.batches) {
    const topic = INGRESS_TOPIC_BY_FORMAT[batch.format];
    const partition = batch.index % partitions;
    const coordinates = `${topic}/${partition}`;
    const headers = {
      [HEADERS.tenantId]: tenant,
      [HEADERS.collectorId]: batch.collectorId,
      [HEADERS.format]: batch.format,
      [HEADERS.receivedAt]: RECEIVED_AT,
    };
    const key = Buffer.from(`${tenant}:${batch.collectorId}`);
    let offset = nextOffset.get(coordinates) ?? 0;
    const lines = recordsOf(batch).map((record) => JSON.stringify(record));
    const runs: Array<[number, number]> =
      recordsPerMessage <= 1 ? lines.map((_, i) => [i, i + 1]) : frameRuns(lines, { maxRecords: recordsPerMessage, maxBytes: FRAME_MAX_BYTES });
    const messages: LogRecord[] = runs.map(([start, end]) => ({
      topic,
      partition,
      offset: String(offset++),
      key,
      value: Buffer.from(lines.slice(start, end).join('\n')),
      headers: recordsPerMessage <= 1 ? headers : { ...headers, ...frameHeaders(end - start) },
      timestamp: Date.parse(RECEIVED_AT),
    }));
    // A poll of at most ENRICHER_MAX_BATCH records (a frame is never split).
    let poll: LogRecord[] = [];
    let pollRecords = 0;
    messages.forEach((message, i) => {
      const count = runs[i][1] - runs[i][0];
      if (poll.length > 0 && pollRecords + count > ENRICHER_MAX_BATCH) {
        batches.push({ topic, partition, records: poll });
        poll = [];
        pollRecords = 0;
      }
      poll.push(message);
      pollRecords += count;
    });
    if (poll.length > 0) batches.push({ topic, partition, records: poll });
    nextOffset.set(coordinates, offset);
  }
  return batches;
}

/** Enriched messages as the projection consumer receives them, in polled batches of about its size in flows. */
export function enrichedBatches(enriched: readonly OutgoingRecord[], partitions: number): RecordBatch[] {
  const perFrame = Number(enriched[0]?.headers?.[FRAME_HEADERS.recordCount] ?? 1) || 1;
  const step = Math.max(1, Math.floor(PROJECTION_MAX_BATCH / perFrame));
  const perPartition: LogRecord[][] = Array.from({ length: partitions }, () => []);
  enriched.forEach((record, i) => {
    const partition = i % partitions;
    const list = perPartition[partition];
    list.push({
      topic: TOPICS.enriched,
      partition,
      offset: String(list.length),
      key: record.key ? Buffer.from(record.key) : null,
      value: Buffer.isBuffer(record.value) ? record.value : Buffer.from(record.value),
      headers: record.headers ?? {},
      timestamp: Date.parse(RECEIVED_AT),
    });
  });
  const batches: RecordBatch[] = [];
  // Round robin over partitions, one poll at a time, as a single consumer delivers them.
  for (let start = 0; ; start += step) {
    let any = false;
    perPartition.forEach((list, partition) => {
      if (start < list.length) {
        any = true;
        batches.push({ topic: TOPICS.enriched, partition, records: list.slice(start, start + step) });
      }
    });
    if (!any) return batches;
  }
}

// --- (b) the enricher core alone ------------------------------------------------------------------

export interface CoreRun {
  readonly result: StageResult;
  /** One record per enriched flow, as a reader of the enriched topic sees them (frames taken apart). */
  readonly enriched: OutgoingRecord[];
  /** The messages the enricher wrote (frames, unless the input asked for one flow per message). */
  readonly messages: OutgoingRecord[];
}

/** processIngressBatch over in-memory batches, synchronously on this thread: records/s per core. */
export async function runEnricherCore(
  variant: string,
  deps: EnrichDependencies,
  batches: readonly RecordBatch[],
  dataset: Dataset,
  options: IngressBatchOptions = {},
): Promise<CoreRun> {
  const now = new Date(RECEIVED_AT);
  // Warm-up on a fifth of the input so the JIT has compiled the hot path (reported: steady state).
  for (const batch of batches.slice(0, Math.max(1, Math.floor(batches.length / 5)))) processIngressBatch(batch, deps, now, options);
  const messages: OutgoingRecord[] = [];
  let deadLetters = 0;
  let geoDst = 0;
  let asnDst = 0;
  let threat = 0;
  const meter = new Meter();
  const flows: EnrichedFlow[][] = [];
  for (const batch of batches) {
    const out = processIngressBatch(batch, deps, now, options);
    for (const record of out.enriched) messages.push(record);
    deadLetters += out.deadLetters.length;
    flows.push(out.flows);
  }
  const m = await finish(meter);
  const enriched: OutgoingRecord[] = enrichedFlowRecords(
    messages.map((message) => ({
      key: message.key,
      value: Buffer.isBuffer(message.value) ? message.value : Buffer.from(message.value),
      headers: message.headers ?? {},
    })),
  );
  for (const list of flows) {
    for (const flow of list) {
      if (flow.geo.dst) geoDst++;
      if (flow.asn.dst) asnDst++;
      if (flow.ti.matches.length > 0) threat++;
    }
  }
  if (deadLetters > 0) throw new Error(`enricher core: ${deadLetters} record(s) dead-lettered; the dataset is meant to be valid`);
  if (enriched.length !== dataset.recordCount) throw new Error(`enricher core: ${enriched.length} enriched of ${dataset.recordCount}`);
  if (threat !== dataset.expectedThreatRecords) {
    throw new Error(`enricher core: ${threat} records with threat matches, the dataset has ${dataset.expectedThreatRecords}`);
  }
  const inputBytes = batches.reduce((sum, batch) => sum + batch.records.reduce((s, r) => s + r.value.length, 0), 0);
  const outputBytes = enriched.reduce((sum, record) => sum + record.value.length, 0);
  return {
    enriched,
    messages,
    result: withMeasurement(
      {
        stage: 'enrich-core',
        mode: 'n/a',
        variant,
        records: enriched.length,
        batchRecords: ENRICHER_MAX_BATCH,
        mbPerSecInflated: rate(inputBytes / MB, m.wallMs),
        details: {
          inputMessages: batches.reduce((sum, batch) => sum + batch.records.length, 0),
          outputMessages: messages.length,
          hitRates: { geoDst: geoDst / enriched.length, asnDst: asnDst / enriched.length, threat: threat / enriched.length },
          meanInputBytes: Math.round(inputBytes / enriched.length),
          meanEnrichedBytes: Math.round(outputBytes / enriched.length),
          usPerRecord: (m.wallMs * 1000) / enriched.length,
        },
      },
      m,
    ),
  };
}

/**
 * Where the core's time goes: cumulative loops over the same records (parse; + normalize; +
 * enrich; + JSON.stringify; the whole processIngressBatch, which also builds the output records and
 * keeps a poll's outputs alive until it returns), and the lookups alone. µs per record, the best of
 * three runs of each loop over the first `limit` records (the allocation-heavy loops are GC-noisy).
 */
export function enricherCoreBreakdown(deps: EnrichDependencies, allBatches: readonly RecordBatch[], limit = 20_000): Record<string, number> {
  const now = new Date(RECEIVED_AT);
  const formatOf: Record<string, IngressFormat> = { [TOPICS.ingestZeekConn]: 'zeek.conn', [TOPICS.ingestFlows]: 'flows.v1' };
  const batches: RecordBatch[] = [];
  let count = 0;
  for (const batch of allBatches) {
    if (count >= limit) break;
    batches.push(batch);
    count += batch.records.length;
  }
  const time = (work: () => void): number => {
    let best = Infinity;
    work(); // warm-up
    for (let run = 0; run < 3; run++) {
      const start = performance.now();
      work();
      best = Math.min(best, performance.now() - start);
    }
    return (best * 1000) / count;
  };
  const context = (record: LogRecord) => ({
    tenantId: record.headers[HEADERS.tenantId],
    collectorId: record.headers[HEADERS.collectorId],
    topic: record.topic,
    partition: record.partition,
    offset: record.offset,
    receivedAt: record.headers[HEADERS.receivedAt],
  });
  const normalized = (batch: RecordBatch, record: LogRecord) => {
    const result = normalize(formatOf[batch.topic], JSON.parse(record.value.toString('utf8')) as Record<string, unknown>, context(record));
    if (!result.ok) throw new Error(result.error.message);
    return result.flow;
  };
  let sink = 0;
  const parse = time(() => {
    for (const batch of batches) for (const record of batch.records) sink += (JSON.parse(record.value.toString('utf8')) as object) ? 1 : 0;
  });
  const parseNormalize = time(() => {
    for (const batch of batches) for (const record of batch.records) sink += normalized(batch, record).srcPort ?? 0;
  });
  const parseNormalizeEnrich = time(() => {
    for (const batch of batches) for (const record of batch.records) sink += enrich(normalized(batch, record), deps, now).risk_score;
  });
  const parseNormalizeEnrichStringify = time(() => {
    for (const batch of batches) for (const record of batch.records) sink += JSON.stringify(enrich(normalized(batch, record), deps, now)).length;
  });
  const full = time(() => {
    for (const batch of batches) sink += processIngressBatch(batch, deps, now, { flowsPerMessage: 1 }).enriched.length;
  });
  // The "lean enriched record" lever of issue #9, measured and not shipped: the same flow with `original`
  // cut to the fields normalization did not carry and without the second timestamp form.
  const carried = new Set<string>([
    ...Object.values(FLOW_FIELD_SPELLINGS).flat(),
    ...Object.values(FLOW_EXPORTER_FIELD_SPELLINGS).flat(),
    ...['id.orig_h', 'id.orig_p', 'id.resp_h', 'id.resp_p', 'id_orig_h', 'id_orig_p', 'id_resp_h', 'id_resp_p', 'id'],
    ...['uid', 'service', 'conn_state', 'history', 'orig_bytes', 'resp_bytes', 'orig_pkts', 'resp_pkts', 'duration'],
  ]);
  const lean = (flow: EnrichedFlow): Record<string, unknown> => {
    const { timestamp: _timestamp, original, ...rest } = flow;
    const kept: Record<string, unknown> = {};
    for (const key in original) if (!carried.has(key)) kept[key] = original[key];
    return { ...rest, original: kept };
  };
  const enrichedFlows = batches.flatMap((batch) => batch.records.map((record) => enrich(normalized(batch, record), deps, now)));
  const leanFlows = enrichedFlows.map(lean);
  const stringifyFull = time(() => {
    for (const flow of enrichedFlows) sink += JSON.stringify(flow).length;
  });
  const stringifyLean = time(() => {
    for (const flow of leanFlows) sink += JSON.stringify(flow).length;
  });
  const bytesOf = (list: readonly object[]) => list.reduce((sum, flow) => sum + JSON.stringify(flow).length, 0) / list.length;
  const flows = batches.flatMap((batch) => batch.records.map((record) => normalized(batch, record)));
  const geoCity = time(() => {
    for (const flow of flows) sink += (deps.geo.city(flow.srcIp) ? 1 : 0) + (deps.geo.city(flow.dstIp) ? 1 : 0);
  });
  const geoAsn = time(() => {
    for (const flow of flows) sink += (deps.geo.asn(flow.srcIp) ? 1 : 0) + (deps.geo.asn(flow.dstIp) ? 1 : 0);
  });
  const threat = time(() => {
    for (const flow of flows) sink += deps.threatIntel.match(flow).length;
  });
  const eventId = time(() => {
    for (const flow of flows) sink += eventIdFor(flow.ingress.topic, flow.ingress.partition, flow.ingress.offset, Date.parse(flow.ingress.receivedAt)).length;
  });
  if (sink < 0) throw new Error('unreachable');
  return {
    'JSON.parse of the ingress value': parse,
    normalize: parseNormalize - parse,
    '  of which eventIdFor (sha256)': eventId,
    'enrich (lookups, risk, building the flow)': parseNormalizeEnrich - parseNormalize,
    '  of which geo city x2': geoCity,
    '  of which asn x2': geoAsn,
    '  of which threat-intel match': threat,
    'JSON.stringify of the enriched flow': parseNormalizeEnrichStringify - parseNormalizeEnrich,
    'output records, headers, poll outputs kept (GC)': full - parseNormalizeEnrichStringify,
    'processIngressBatch total': full,
    [`lean record (measured, not shipped): stringify ${Math.round(bytesOf(enrichedFlows))} B -> ${Math.round(bytesOf(leanFlows))} B flow`]: stringifyLean,
    '  against the full flow, the same loop': stringifyFull,
  };
}

// --- (a) HTTP ingest alone -------------------------------------------------------------------------

export interface IngestRun {
  readonly result: StageResult;
  /** The filled log the enrich-on-log stage reads: a data dir (embedded) or renamed topics (Kafka). */
  readonly source: { readonly dataDir?: string; readonly renames?: Renames };
  readonly cleanup: () => Promise<void>;
}

export async function runIngestAlone(mode: Mode, dataset: Dataset, settings: BenchSettings): Promise<IngestRun> {
  const options: ProductOptions = { mode, geo: settings.geo, threatlistCsv: settings.threatlistCsv, partitions: settings.partitions };
  const renames = mode === 'kafka' ? isolatedRenames(`bench-${settings.runId}-ingest`) : undefined;
  const app = await startIngestOnly(options, renames ? (config) => openRenamedKafkaLog(config, renames) : undefined);
  let result: StageResult;
  try {
    const meter = new Meter();
    const posted = await postBatches({
      port: app.port,
      apiKey: BENCH_KEY,
      batches: dataset.batches,
      concurrency: settings.concurrency,
      timeoutMs: settings.requestTimeoutMs,
    });
    const m = await finish(meter, posted.finishedAt);
    assertAllAccepted(posted, dataset.batches);
    const latencies = posted.outcomes.map((outcome) => outcome.latencyMs);
    result = withMeasurement(
      {
        stage: 'ingest',
        mode,
        variant: `HTTP gzip → ${mode === 'kafka' ? 'Kafka acks=all' : 'embedded log fsync'}, ${settings.concurrency} in flight`,
        records: dataset.recordCount,
        batchRecords: settings.batchRecords,
        mbPerSecCompressed: rate(dataset.gzipBytes / MB, m.wallMs),
        mbPerSecInflated: rate(dataset.inflatedBytes / MB, m.wallMs),
        details: {
          requests: posted.outcomes.length,
          latencyMsP50: percentile(latencies, 50),
          latencyMsMax: Math.max(...latencies),
          gzipBytes: dataset.gzipBytes,
          inflatedBytes: dataset.inflatedBytes,
        },
      },
      m,
    );
  } catch (error) {
    await app.close();
    if (renames) await deleteIsolated(renames).catch(() => undefined);
    throw error;
  }
  await app.close({ keepState: true });
  return {
    result,
    source: mode === 'kafka' ? { renames } : { dataDir: app.config.runtime.eventLog.kind === 'embedded' ? app.config.runtime.eventLog.dataDir : undefined },
    cleanup: async () => {
      fs.rmSync(app.dataDir, { recursive: true, force: true });
      if (renames) await deleteIsolated(renames, [`bench-${settings.runId}-enrich-log`]);
    },
  };
}

// --- (c) enrich on the real log --------------------------------------------------------------------

export async function sumOffsets(offsets: Promise<Map<number, string>>): Promise<number> {
  let total = 0;
  for (const offset of (await offsets).values()) total += Number(offset);
  return total;
}

/**
 * The product's IngressConsumer (its `handle`: core → produce enriched + dead letters → the adapter
 * commits after the handler resolves) on the log the ingest stage filled, under a fresh group.
 * Timed from subscribe to the group's committed offsets reaching the end of both ingress topics.
 */
export async function runEnrichOnLog(
  mode: Mode,
  source: IngestRun['source'],
  deps: EnrichDependencies,
  dataset: Dataset,
  settings: BenchSettings,
  flowsPerMessage = DEFAULT_ENRICHED_FLOWS_PER_MESSAGE,
): Promise<StageResult> {
  const group = `bench-${settings.runId}-enrich-log-${flowsPerMessage}`;
  let log: EventLog;
  if (mode === 'kafka') {
    if (!source.renames) throw new Error('enrich-log (kafka) needs the topics the ingest stage filled');
    log = await openRenamedKafkaLogDirect({ topics: source.renames.topics, groups: { [ENRICHER_GROUP]: group } }, settings.partitions);
  } else {
    if (!source.dataDir) throw new Error('enrich-log (embedded) needs the data dir the ingest stage filled');
    const embedded = await EmbeddedEventLog.open({ dataDir: source.dataDir, defaultPartitions: settings.partitions });
    log = new TopicRemappingEventLog(embedded, { topics: {}, groups: { [ENRICHER_GROUP]: group } });
    await log.ensureTopics(defaultTopicSpecs(settings.partitions, 7));
  }
  const progress: EnricherProgress = { handled: 0, batches: 0 };
  let consumer: INestMicroservice | undefined;
  try {
    // Messages (frames hold many records): the group is done when it committed all of them.
    let ingressEnd = 0;
    for (const topic of INGRESS_TOPICS) ingressEnd += await sumOffsets(log.endOffsets(topic));
    const enrichedBefore = await sumOffsets(log.endOffsets(TOPICS.enriched));
    const meter = new Meter();
    consumer = await startBenchEnricher(log, deps, progress, { flowsPerMessage });
    const joinedAt = performance.now();
    const interval = mode === 'kafka' ? 25 : 10;
    await until(() => (progress.handled >= dataset.recordCount ? true : undefined), {
      deadlineMs: settings.deadlineMs,
      intervalMs: interval,
      what: () => `enriched ${progress.handled} of ${dataset.recordCount}`,
    });
    await until(
      async () => {
        let committed = 0;
        for (const topic of INGRESS_TOPICS) committed += await sumOffsets(log.committedOffsets(ENRICHER_GROUP, topic));
        return committed >= ingressEnd ? true : undefined;
      },
      { deadlineMs: settings.deadlineMs, intervalMs: interval, what: () => 'the group to commit the end of the ingress topics' },
    );
    const m = await finish(meter);
    const enrichedMessages = (await sumOffsets(log.endOffsets(TOPICS.enriched))) - enrichedBefore;
    const enrichedCount = await counterSum(consumer.get(EnricherMetrics).records, { outcome: 'enriched' });
    const deadLetters = await sumOffsets(log.endOffsets(TOPICS.ingestDeadLetter));
    if (progress.handled !== dataset.recordCount || enrichedCount !== dataset.recordCount || deadLetters !== 0) {
      throw new Error(`enrich-log: ${progress.handled} read, ${enrichedCount} enriched and ${deadLetters} dead letters for ${dataset.recordCount} records`);
    }
    const steadyMs = m.wallMs - ((progress.firstBatchAt ?? joinedAt) - meter.startedAt);
    return withMeasurement(
      {
        stage: 'enrich-log',
        mode,
        variant:
          `consume → enrich → produce → commit (${mode === 'kafka' ? 'Kafka' : 'embedded'}, event-log transport handler), geo=${settings.geo}, ` +
          (flowsPerMessage === 1 ? '1 flow per message' : `frames of ${flowsPerMessage} flows`),
        records: dataset.recordCount,
        batchRecords: Math.round(dataset.recordCount / progress.batches),
        details: {
          flowsPerMessage,
          ingressMessages: ingressEnd,
          enrichedMessages,
          polledBatches: progress.batches,
          subscribeMs: joinedAt - meter.startedAt,
          firstBatchAfterMs: (progress.firstBatchAt ?? joinedAt) - meter.startedAt,
          steadyStateRecordsPerSec: rate(dataset.recordCount, steadyMs),
        },
      },
      m,
    );
  } finally {
    await consumer?.close();
    await log.close();
  }
}

// --- (d) projection alone --------------------------------------------------------------------------

export async function runProjection(
  kind: 'embedded' | 'postgres',
  batches: readonly RecordBatch[],
  tenant: string,
  _settings: BenchSettings,
): Promise<StageResult> {
  let store: SqlStore;
  let cleanup: () => Promise<void>;
  let file: string | undefined;
  if (kind === 'postgres') {
    const database = { url: await freshDatabase('bench') };
    store = await SqlStore.open({ kind: 'postgres', url: database.url });
    cleanup = () => dropDatabase(database.url);
  } else {
    const dir = tempDir('projection');
    file = path.join(dir, 'telemetry.sqlite');
    store = await SqlStore.open({ kind: 'embedded', file });
    cleanup = async () => fs.rmSync(dir, { recursive: true, force: true });
  }
  try {
    const projection = new EnrichedEventsProjection(store);
    const records = batches.reduce((sum, batch) => sum + enrichedFlowRecords(batch.records).length, 0);
    const perBatch: Array<{ records: number; ms: number }> = [];
    let applied = 0;
    const meter = new Meter();
    for (const batch of batches) {
      const start = performance.now();
      // As the projection's consumer does: frames taken apart, then applied.
      const flows = enrichedFlowRecords(batch.records);
      applied += (await projection.apply(batch.topic, batch.partition, flows)).applied;
      perBatch.push({ records: flows.length, ms: performance.now() - start });
    }
    const m = await finish(meter);
    const count = await new EnrichedEventsQueries(store).count(tenant);
    if (applied !== records || count !== records) throw new Error(`projection (${kind}): applied ${applied}, ${count} rows, expected ${records}`);
    const quarter = Math.max(1, Math.floor(perBatch.length / 4));
    const rateOf = (slice: Array<{ records: number; ms: number }>) =>
      rate(
        slice.reduce((s, b) => s + b.records, 0),
        slice.reduce((s, b) => s + b.ms, 0),
      );
    const bytes = batches.reduce((sum, batch) => sum + batch.records.reduce((s, r) => s + r.value.length, 0), 0);
    return withMeasurement(
      {
        stage: 'projection',
        mode: kind === 'postgres' ? 'kafka' : 'embedded',
        variant: kind === 'postgres' ? 'EnrichedEventsProjection.apply → Postgres' : 'EnrichedEventsProjection.apply → node:sqlite (WAL, synchronous=FULL)',
        records,
        batchRecords: PROJECTION_MAX_BATCH,
        mbPerSecInflated: rate(bytes / MB, m.wallMs),
        details: {
          transactions: perBatch.length,
          firstQuarterRecordsPerSec: rateOf(perBatch.slice(0, quarter)),
          lastQuarterRecordsPerSec: rateOf(perBatch.slice(-quarter)),
          ...(file !== undefined ? { fileBytes: embeddedFileBytes(file) } : {}),
        },
      },
      m,
    );
  } finally {
    await store.close();
    await cleanup();
  }
}

/** The embedded store's size on disk: the main file and its WAL. */
function embeddedFileBytes(file: string): number {
  return [file, `${file}-wal`].reduce((sum, name) => sum + (fs.existsSync(name) ? fs.statSync(name).size : 0), 0);
}

/**
 * (d') The embedded projection at scale: `rows` enriched flows (default 1M) projected into a fresh
 * node:sqlite store by the real EnrichedEventsProjection (real schema, migrations, indexes), in
 * transactions of the projection consumer's poll size (PROJECTION_MAX_BATCH), round robin over
 * `settings.partitions` partitions as one consumer delivers them. The rows are the enriched records
 * of the core stage (real enriched JSON), cycled with a fresh event id (the enricher's eventIdFor:
 * the receive time in ms, then a hash) and a rising ingest time per row, so every row is a new key
 * and both indexes grow as in production (BENCH_SCALE_IDS=hash uses ids that are all hash, as the
 * enricher's were before they began with the receive time, so primary-key inserts land at random
 * places in the index; =sequential uses plain counters, to show what the hash part costs). BENCH_SCALE_ROWS_SHAPE=trimmed drops each flow's copies of its
 * input and its risk reasons (~700-byte rows instead of ~1.4 KB) for comparison with smaller rows. They are built one batch at a time, outside the measured apply calls: rows/s and
 * records per CPU-second count only `apply` (parse, insert, offset, commit with fsync), per quarter
 * of the rows, so a store that slows as its file grows shows it in the last/first ratio.
 */
/** How the projection-scale stage makes event ids; see runProjectionAtScale. */
export type ScaleIds = 'enricher' | 'hash' | 'sequential';

export async function runProjectionAtScale(
  templates: readonly OutgoingRecord[],
  rows: number,
  ids: ScaleIds,
  shape: 'enriched' | 'trimmed',
  tenant: string,
  settings: BenchSettings,
): Promise<StageResult> {
  if (templates.length === 0) throw new Error('projection at scale: no enriched records to use as templates');
  const parsed = templates.map((record) => {
    const full = Buffer.isBuffer(record.value) ? record.value.toString('utf8') : String(record.value);
    const flow = JSON.parse(full) as { event_id: string; tenant_id: string; ingest?: { received_at?: string } } & Record<string, unknown>;
    // trimmed: the same flow without the copies of its input (original, zeek) and the risk reasons, ~700 bytes.
    const text = shape === 'enriched' ? full : JSON.stringify({ ...flow, original: undefined, zeek: undefined, risk_reasons: undefined });
    if (!flow.ingest?.received_at) throw new Error('projection at scale: an enriched record without ingest.received_at');
    // The two values each row changes, found once as exact JSON substrings of the template.
    if (flow.tenant_id !== tenant) throw new Error(`projection at scale: a template of tenant ${flow.tenant_id}, expected ${tenant}`);
    const eventId = `"event_id":${JSON.stringify(flow.event_id)}`;
    const receivedAt = `"received_at":${JSON.stringify(flow.ingest.received_at)}`;
    if (!text.includes(eventId) || !text.includes(receivedAt)) throw new Error('projection at scale: the enriched JSON is not in the expected compact form');
    // The enricher's headers (tenant, ENRICHED_HEADERS, ...), as the projection reads them.
    const headers = { ...(record.headers ?? {}) } as Record<string, string>;
    if (!headers[ENRICHED_HEADERS.eventId]) throw new Error('projection at scale: an enriched record without the enriched headers');
    return { text, eventId, receivedAt, headers };
  });
  const baseMs = Date.parse(RECEIVED_AT);
  const receivedAtMs = (i: number): number => baseMs + Math.floor(i / 10);
  const eventId = (i: number): string => {
    if (ids === 'enricher') return eventIdFor(TOPICS.ingestFlows, i % settings.partitions, `${settings.runId}:${i}`, receivedAtMs(i));
    if (ids === 'hash') return createHash('sha256').update(`${settings.runId}:${i}`).digest('hex').slice(0, 32);
    return `s${settings.runId}${i.toString(16).padStart(12, '0')}`.slice(-32);
  };
  const rowHeaders = (i: number, id: string): Record<string, string> => ({
    ...parsed[i % parsed.length].headers,
    [ENRICHED_HEADERS.eventId]: id,
    [ENRICHED_HEADERS.receivedAt]: new Date(receivedAtMs(i)).toISOString(),
  });
  const rowValue = (i: number, id: string): Buffer => {
    const t = parsed[i % parsed.length];
    return Buffer.from(
      t.text.replace(t.eventId, `"event_id":"${id}"`).replace(t.receivedAt, `"received_at":${JSON.stringify(new Date(receivedAtMs(i)).toISOString())}`),
    );
  };

  const dir = tempDir('projection-scale');
  const file = path.join(dir, 'telemetry.sqlite');
  const store = await SqlStore.open({ kind: 'embedded', file });
  try {
    // The settings the store actually runs with, read back from SQLite rather than restated here.
    const pragmas: Record<string, string> = {};
    for (const name of ['journal_mode', 'synchronous', 'page_size', 'cache_size', 'wal_autocheckpoint', 'mmap_size', 'temp_store']) {
      const [row] = (await store.dataSource.query(`PRAGMA ${name}`)) as Array<Record<string, unknown>>;
      pragmas[name] = String(Object.values(row ?? {})[0]);
    }
    const projection = new EnrichedEventsProjection(store);
    const nextOffset = Array.from({ length: settings.partitions }, () => 0);
    const quarters = Array.from({ length: 4 }, () => ({ records: 0, ms: 0, cpuMs: 0, systemMs: 0 }));
    let applyMs = 0;
    let cpuMs = 0;
    let bytes = 0;
    let transactions = 0;
    let peakRss = 0;
    const wallStart = performance.now();
    for (let built = 0, call = 0; built < rows; call++) {
      const partition = call % settings.partitions;
      const size = Math.min(PROJECTION_MAX_BATCH, rows - built);
      const records: LogRecord[] = [];
      for (let k = 0; k < size; k++) {
        const id = eventId(built + k);
        const value = rowValue(built + k, id);
        bytes += value.length;
        const headers = rowHeaders(built + k, id);
        records.push({ topic: TOPICS.enriched, partition, offset: String(nextOffset[partition]++), key: null, value, headers, timestamp: baseMs });
      }
      const cpuBefore = process.cpuUsage();
      const start = performance.now();
      const result = await projection.apply(TOPICS.enriched, partition, records);
      const ms = performance.now() - start;
      const cpu = process.cpuUsage(cpuBefore);
      if (result.applied !== size) throw new Error(`projection at scale: batch ${call} applied ${result.applied} of ${size}`);
      const quarter = quarters[Math.min(3, Math.floor((built * 4) / rows))];
      quarter.records += size;
      quarter.ms += ms;
      quarter.cpuMs += (cpu.user + cpu.system) / 1000;
      quarter.systemMs += cpu.system / 1000;
      applyMs += ms;
      cpuMs += (cpu.user + cpu.system) / 1000;
      transactions += 1;
      built += size;
      if (call % 50 === 0) peakRss = Math.max(peakRss, process.memoryUsage.rss());
    }
    const wallMs = performance.now() - wallStart;
    const count = await new EnrichedEventsQueries(store).count(tenant);
    if (count !== rows) throw new Error(`projection at scale: ${count} rows in the store, expected ${rows}`);
    const perQuarter = quarters.map((q) => rate(q.records, q.ms));
    const perQuarterCpu = quarters.map((q) => rate(q.records, q.cpuMs));
    return {
      stage: 'projection',
      mode: 'embedded',
      variant: `${(rows / 1e6).toLocaleString('en-US')}M ${shape} rows, ${ids} event ids, EnrichedEventsProjection.apply → node:sqlite (${pragmas.journal_mode}, synchronous=${['OFF', 'NORMAL', 'FULL', 'EXTRA'][Number(pragmas.synchronous)] ?? pragmas.synchronous}), apply time only`,
      records: rows,
      batchRecords: PROJECTION_MAX_BATCH,
      wallMs: applyMs,
      recordsPerSec: rate(rows, applyMs),
      recordsPerCpuSec: rate(rows, cpuMs),
      mbPerSecInflated: rate(bytes / MB, applyMs),
      details: {
        measures: 'apply() calls only (row building excluded); rows/s per quarter of the rows, in order',
        transactions,
        avgRowBytes: bytes / rows,
        quarterRecordsPerSec: perQuarter,
        quarterRecordsPerCpuSec: perQuarterCpu,
        lastOverFirst: perQuarter[3] / perQuarter[0],
        // The same ratio in CPU time: on a shared machine the wall rates move with the neighbours' load.
        lastOverFirstCpu: perQuarterCpu[3] / perQuarterCpu[0],
        // Kernel time (write, fsync, page-cache work) per row, µs, per quarter: what grows with the file outside SQLite and JavaScript.
        quarterSystemUsPerRow: quarters.map((q) => (q.systemMs * 1000) / Math.max(1, q.records)),
        quarterUserUsPerRow: quarters.map((q) => ((q.cpuMs - q.systemMs) * 1000) / Math.max(1, q.records)),
        pragmas,
        stageWallMsIncludingRowBuilding: wallMs,
        fileBytes: embeddedFileBytes(file),
        peakRssMb: peakRss / MB,
      },
    };
  } finally {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// --- end to end ------------------------------------------------------------------------------------

async function counterSum(counter: ProjectionMetrics['records'] | EnricherMetrics['records'], labels: Record<string, string>): Promise<number> {
  const { values } = await counter.get();
  return values
    .filter((value) => Object.entries(labels).every(([k, v]) => (value.labels as Record<string, unknown>)[k] === v))
    .reduce((sum, value) => sum + value.value, 0);
}

/**
 * The all-in-one over real HTTP: every batch posted, then polled until the read model holds every
 * record of the run's tenant. Timed from the first POST to the poll that saw the last row.
 */
export async function runEndToEnd(mode: Mode, dataset: Dataset, settings: BenchSettings): Promise<StageResult> {
  const options: ProductOptions = { mode, geo: settings.geo, threatlistCsv: settings.threatlistCsv, partitions: settings.partitions };
  const renames = mode === 'kafka' ? isolatedRenames(`bench-${settings.runId}-e2e`) : undefined;
  const startBoot = performance.now();
  let app: RunningApp | undefined;
  try {
    app = await startAllInOne(options, renames ? (config) => openRenamedKafkaLog(config, renames) : undefined);
    const bootMs = performance.now() - startBoot;
    const projectionMetrics = app.app.get(ProjectionMetrics, { strict: false });
    const enricherMetrics = app.app.get(EnricherMetrics, { strict: false });
    const store = app.app.get<symbol, SqlStore>(SQL_STORE, { strict: false });
    const queries = new EnrichedEventsQueries(store);
    const meter = new Meter();
    const posted = await postBatches({
      port: app.port,
      apiKey: BENCH_KEY,
      batches: dataset.batches,
      concurrency: settings.concurrency,
      timeoutMs: settings.requestTimeoutMs,
    });
    assertAllAccepted(posted, dataset.batches);
    const lastAckMs = posted.finishedAt - meter.startedAt;
    let projected = 0;
    let rows: number | undefined;
    await until(
      async () => {
        // The projection's counter is cheap to poll; SQL confirms once it says everything is in.
        projected = await counterSum(projectionMetrics.records, { outcome: 'applied' });
        if (projected < dataset.recordCount) return undefined;
        rows = await queries.count(app!.tenant);
        return rows >= dataset.recordCount ? true : undefined;
      },
      {
        deadlineMs: settings.deadlineMs,
        intervalMs: 25,
        what: () =>
          `${projected} of ${dataset.recordCount} records projected` + (rows === undefined ? '' : ` (${rows} rows of the tenant at the last SQL count)`),
      },
    );
    const m = await finish(meter);
    const deadLetters = await counterSum(enricherMetrics.records, { outcome: 'dead_lettered' });
    if (rows !== dataset.recordCount || deadLetters !== 0) {
      throw new Error(`e2e: ${rows} rows and ${deadLetters} dead letters for ${dataset.recordCount} records`);
    }
    // Correctness, after the clock stopped: the threat-intel hits the dataset was built with.
    const placeholder = store.dialect === 'postgres' ? '$1' : '?';
    const noMatch = await store.dataSource.query(
      `SELECT COUNT(*) AS n FROM enriched_events WHERE tenant_id = ${placeholder} AND payload LIKE '%"ti":{"matches":[]}%'`,
      [app.tenant],
    );
    const withoutMatches = Number((noMatch as Array<{ n: string | number }>)[0].n);
    if (withoutMatches !== dataset.recordCount - dataset.expectedThreatRecords) {
      throw new Error(`e2e: ${dataset.recordCount - withoutMatches} rows with threat matches, expected ${dataset.expectedThreatRecords}`);
    }
    const download = await getText(app.port, '/v1/download/json?limit=5', BENCH_KEY);
    if (download.status !== 200 || download.headers['x-record-count'] !== '5') {
      throw new Error(`e2e: /v1/download/json answered ${download.status} with ${String(download.headers['x-record-count'])} records`);
    }
    return withMeasurement(
      {
        stage: 'e2e',
        mode,
        variant: `all-in-one, geo=${settings.geo}, ${mode === 'kafka' ? 'Kafka + Postgres' : 'embedded log + node:sqlite'}, ${settings.concurrency} in flight`,
        records: dataset.recordCount,
        batchRecords: settings.batchRecords,
        mbPerSecCompressed: rate(dataset.gzipBytes / MB, m.wallMs),
        mbPerSecInflated: rate(dataset.inflatedBytes / MB, m.wallMs),
        details: {
          bootMs,
          lastAckAfterMs: lastAckMs,
          ingestRecordsPerSecDuringE2e: rate(dataset.recordCount, lastAckMs),
          projectionLagAfterLastAckMs: m.wallMs - lastAckMs,
          threatMatchedRows: dataset.recordCount - withoutMatches,
          // Every process on the box (the product, the broker, the database, and whatever else runs there):
          // the whole stack's cost per record, an upper bound on a shared machine.
          wholeMachineRecordsPerCpuSec: rate(dataset.recordCount, m.machineCpuMs),
        },
      },
      m,
    );
  } finally {
    await app?.close();
    if (renames) await deleteIsolated(renames);
  }
}
