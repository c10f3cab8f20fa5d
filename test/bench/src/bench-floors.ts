import { CompressionTypes, Kafka, logLevel, Message } from 'kafkajs';
import { FRAME_HEADERS, isFrame } from '@telemetry/contracts';
import { registerKafkaCodecs, type OutgoingRecord, type RecordBatch } from '@telemetry/event-log';
import { kafkaBrokers } from '@telemetry/testing';
import { finish, rate, StageResult, withMeasurement } from './bench-stages';
import { benchCompression } from './bench-kafka';
import { Meter, until } from './bench-meter';

/**
 * The floors every stage is measured against, on the same dataset and machine in the same run
 * (issue #9): what the stage's work costs with no product code at all.
 *
 * - The JSON floor: JSON.parse of every ingress value and JSON.stringify of every enriched flow,
 *   nothing else — the least an enricher that reads and writes JSON does per record.
 * - The raw client floor: kafkajs alone producing the same ingress bytes (the product's frames, and
 *   one record per message as direct producers write; the product's key and headers, acks=all, the
 *   KAFKA_COMPRESSION codec, requests of
 *   ~1 MiB as the adapter sends) to a fresh topic and consuming them back — the least a stage that
 *   consumes and produces through this client pays per record.
 */

/** Requests of at most this many value bytes, as the Kafka adapter's SEND_CHUNK_BYTES. */
const SEND_CHUNK_BYTES = 1024 * 1024;

/** `batches` one record per message (the JSON floor parses each record's value), `enriched` one flow each. */
export async function runJsonFloor(batches: readonly RecordBatch[], enriched: readonly OutgoingRecord[]): Promise<StageResult> {
  const values = batches.flatMap((batch) => batch.records.map((record) => record.value));
  // The enriched flows as objects (parsed once, outside the measured loop): what the enricher stringifies.
  const flows = enriched.map((record) => JSON.parse(String(record.value)) as unknown);
  if (values.length !== flows.length) throw new Error(`JSON floor: ${values.length} ingress values but ${flows.length} enriched flows`);
  let sink = 0;
  const loop = (from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const parsed = JSON.parse(values[i].toString('utf8')) as Record<string, unknown>;
      sink += parsed === null ? 0 : 1;
      sink += JSON.stringify(flows[i]).length;
    }
  };
  // Warm-up on a fifth, as the core stage does, so both measure the steady state.
  loop(0, Math.floor(values.length / 5));
  const meter = new Meter();
  loop(0, values.length);
  const m = await finish(meter);
  if (sink <= 0) throw new Error('unreachable');
  const bytes = values.reduce((sum, value) => sum + value.length, 0);
  return withMeasurement(
    {
      stage: 'floor',
      mode: 'n/a',
      variant: 'JSON floor: JSON.parse of each ingress value + JSON.stringify of each enriched flow, single thread',
      records: values.length,
      batchRecords: batches[0]?.records.length ?? 0,
      mbPerSecInflated: rate(bytes / (1024 * 1024), m.wallMs),
      details: { measures: 'parse + stringify only, warm' },
    },
    m,
  );
}

export async function runClientFloor(
  batches: readonly RecordBatch[],
  partitions: number,
  runId: string,
  deadlineMs: number,
  shape: string,
): Promise<StageResult> {
  const kafka = new Kafka({ clientId: `telemetry-bench-floor-${runId}`, brokers: kafkaBrokers(), logLevel: logLevel.NOTHING });
  const topic = `bench-floor-${runId}`;
  const groupId = `bench-floor-${runId}`;
  const admin = kafka.admin();
  await admin.connect();
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  const consumer = kafka.consumer({ groupId, maxBytesPerPartition: 4 * 1024 * 1024 });
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }], waitForLeaders: true });
    await producer.connect();
    // The same messages the product writes: its key and headers, per partition; a frame counts its records.
    const requests: Message[][] = [];
    let records = 0;
    let sent = 0;
    for (const batch of batches) {
      let messages: Message[] = [];
      let bytes = 0;
      for (const record of batch.records) {
        messages.push({ partition: batch.partition % partitions, key: record.key, value: record.value, headers: { ...record.headers } });
        bytes += record.value.length;
        records += isFrame(record.headers) ? Number(record.headers[FRAME_HEADERS.recordCount]) : 1;
        sent += 1;
        if (bytes >= SEND_CHUNK_BYTES) {
          requests.push(messages);
          messages = [];
          bytes = 0;
        }
      }
      if (messages.length > 0) requests.push(messages);
    }

    const produceMeter = new Meter();
    // The product's codec (KAFKA_COMPRESSION), with the codecs kafkajs lacks registered as the product does.
    registerKafkaCodecs();
    const compression = {
      none: CompressionTypes.None,
      gzip: CompressionTypes.GZIP,
      snappy: CompressionTypes.Snappy,
      lz4: CompressionTypes.LZ4,
      zstd: CompressionTypes.ZSTD,
    }[benchCompression()];
    for (const messages of requests) await producer.send({ topic, messages, acks: -1, compression });
    const produced = await finish(produceMeter);

    let consumed = 0;
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const consumeMeter = new Meter();
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch, resolveOffset, commitOffsetsIfNecessary }) => {
        consumed += batch.messages.length;
        const last = batch.messages[batch.messages.length - 1];
        if (last) {
          resolveOffset(last.offset);
          await commitOffsetsIfNecessary({ topics: [{ topic, partitions: [{ partition: batch.partition, offset: (BigInt(last.offset) + 1n).toString() }] }] });
        }
      },
    });
    await until(() => (consumed >= sent ? true : undefined), {
      deadlineMs,
      intervalMs: 20,
      what: () => `raw client floor: ${consumed} of ${sent} messages consumed`,
    });
    const read = await finish(consumeMeter);
    const cpuMs = produced.processCpuMs + read.processCpuMs;
    const wallMs = produced.wallMs + read.wallMs;
    return {
      stage: 'floor',
      mode: 'kafka',
      variant: `raw client floor: kafkajs produce (acks=all, ${benchCompression()}, ~1 MiB requests, ${shape}) + consume + commit, no product code`,
      records,
      batchRecords: requests[0]?.length ?? 0,
      wallMs,
      recordsPerSec: rate(records, wallMs),
      recordsPerCpuSec: rate(records, cpuMs),
      machineBusy: (produced.machineBusy * produced.wallMs + read.machineBusy * read.wallMs) / Math.max(1, wallMs),
      details: {
        produceRecordsPerSec: rate(records, produced.wallMs),
        produceRecordsPerCpuSec: rate(records, produced.processCpuMs),
        consumeRecordsPerSec: rate(records, read.wallMs),
        consumeRecordsPerCpuSec: rate(records, read.processCpuMs),
        requests: requests.length,
        messages: sent,
      },
    };
  } finally {
    await consumer.disconnect().catch(() => undefined);
    await producer.disconnect().catch(() => undefined);
    await admin.deleteTopics({ topics: [topic], timeout: 30_000 }).catch(() => undefined);
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect();
  }
}
