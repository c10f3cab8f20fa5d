import { execFileSync } from 'node:child_process';
import { kafkaBrokers, uniqueName, waitFor } from '@telemetry/testing';
import { CompressionCodecs, CompressionTypes, Kafka, logLevel } from 'kafkajs';
import { LogRecord, Subscription } from '../event-log.port';
import { guardedCodec, KafkaCompression, registeredCodec } from './kafka.codecs';
import { KafkaEventLog, MissingTopicsError } from './kafka.event-log';

// Real producer codecs on the real broker (infra/kafka/start.sh): batches this adapter writes with
// each codec, and batches Debian's kcat (librdkafka) writes, among uncompressed ones.

const open: KafkaEventLog[] = [];
async function connect(compression: KafkaCompression, extra: Partial<Parameters<typeof KafkaEventLog.connect>[0]> = {}): Promise<KafkaEventLog> {
  const log = await KafkaEventLog.connect({ brokers: kafkaBrokers(), clientId: uniqueName(`codec-${compression}`), compression, ...extra });
  open.push(log);
  return log;
}
afterAll(() => Promise.all(open.map((log) => log.close())));

const values = (prefix: string, count: number) => Array.from({ length: count }, (_, i) => `${prefix}-${i}`);
const records = (items: readonly string[]) => items.map((value) => ({ key: 'k', value }));

/** One kcat produce: all lines of stdin in one compressed message set. */
function kcatProduce(topic: string, codec: string, lines: readonly string[]): void {
  execFileSync('kcat', ['-P', '-b', kafkaBrokers().join(','), '-t', topic, '-p', '0', '-z', codec, '-X', 'linger.ms=50'], { input: lines.join('\n') + '\n' });
}

describe('KafkaEventLog compression codecs', () => {
  it('consumes lz4, zstd and snappy batches (its own and kcat’s) among uncompressed ones, all in order', async () => {
    const plain = await connect('none');
    const topic = uniqueName('codecs');
    await plain.ensureTopics([{ name: topic, partitions: 1, retentionMs: 3_600_000 }]);
    const expected: string[] = [];
    const send = async (log: KafkaEventLog, items: string[]) => {
      await log.publish(topic, records(items));
      expected.push(...items);
    };
    await send(plain, values('plain-a', 3));
    await send(await connect('lz4'), values('lz4', 50));
    await send(await connect('zstd'), values('zstd', 50));
    await send(await connect('snappy'), values('snappy', 50));
    await send(await connect('gzip'), values('gzip', 5));
    for (const codec of ['lz4', 'zstd', 'snappy']) {
      const lines = values(`kcat-${codec}`, 40);
      kcatProduce(topic, codec, lines);
      expected.push(...lines);
    }
    await send(plain, values('plain-b', 3));

    const received: string[] = [];
    const subscription = await plain.subscribe({
      groupId: uniqueName('codecs-reader'),
      topics: [topic],
      handler: async (batch) => void received.push(...batch.records.map((record) => record.value.toString())),
    });
    try {
      await waitFor(() => received.length >= expected.length, { description: `all ${expected.length} records consumed` });
      expect(received).toEqual(expected);
      expect(subscription.status().state).toBe('consuming');
    } finally {
      await subscription.close();
    }
  });

  it('restarts a consumer that meets a batch it cannot decode, says where, and reads on without loss once the fault is gone', async () => {
    const errors: string[] = [];
    const logger = { warn: () => undefined, error: (line: string) => void errors.push(line) };
    const reader = await connect('none', { logger, restartBackoffStartMs: 100, restartBackoffMaxMs: 400 });
    const topic = uniqueName('poison');
    await reader.ensureTopics([{ name: topic, partitions: 1, retentionMs: 3_600_000 }]);
    const expected = [...values('before', 2), ...values('zstd', 3), ...values('after', 2)];
    await reader.publish(topic, records(expected.slice(0, 2)));
    await (await connect('zstd')).publish(topic, records(expected.slice(2, 5)));
    await reader.publish(topic, records(expected.slice(5)));

    // The fault: zstd batches cannot be decoded in this process (the registry is process-wide).
    const original = CompressionCodecs[CompressionTypes.ZSTD];
    const real = registeredCodec('zstd');
    const faulty = guardedCodec('zstd', {
      compress: (encoder) => real.compress(encoder),
      decompress: () => Promise.reject(new Error('injected zstd decode fault')),
    });
    CompressionCodecs[CompressionTypes.ZSTD] = () => faulty;
    const groupId = uniqueName('poison-reader');
    const received: string[] = [];
    let subscription: Subscription | undefined;
    try {
      subscription = await reader.subscribe({
        groupId,
        topics: [topic],
        handler: async (batch) => void received.push(...batch.records.map((record) => record.value.toString())),
      });
      const current = subscription;
      await waitFor(() => current.status().state === 'restarting' && errors.some((line) => line.includes(`${topic}[0]`)), {
        description: 'the subscription restarting and the undecodable batch logged with its coordinates',
      });
      expect(current.status().lastError).toMatch(
        /a zstd record batch at offsets 2\.\.4 \(3 records\), \d+ compressed bytes, cannot be decoded: injected zstd decode fault/,
      );
      expect(errors.find((line) => line.includes(`${topic}[0]`))).toMatch(
        new RegExp(`group ${groupId}: a zstd record batch at offsets 2\\.\\.4 .*on topic-partition ${topic}\\[0\\]`),
      );
      // Whatever was handed over before the batch is a prefix; nothing after it got through.
      expect(expected.slice(0, received.length)).toEqual(received);
      expect(received.length).toBeLessThanOrEqual(2);
      const restartsDuringFault = reader.stats().consumerRestarts.get(groupId) ?? 0;
      expect(restartsDuringFault).toBeGreaterThanOrEqual(1);
      expect(reader.stats().undecodableBatches.get(groupId)).toBeGreaterThanOrEqual(1);
    } finally {
      CompressionCodecs[CompressionTypes.ZSTD] = original;
    }
    try {
      const current = subscription;
      await waitFor(() => received.length >= expected.length && current.status().state === 'consuming', {
        description: 'every record consumed after the fault is removed',
      });
      expect(received).toEqual(expected);
    } finally {
      await subscription.close();
    }
  });
});

describe('KafkaEventLog with a batch that never decodes', () => {
  it('dead-letters it (compressed records, coordinates) after the attempts it was given, skips exactly it, and reads on', async () => {
    const errors: string[] = [];
    const logger = { warn: () => undefined, error: (line: string) => void errors.push(line) };
    const topic = uniqueName('hopeless');
    const deadLetterTopic = uniqueName('hopeless-dlq');
    const reader = await connect('none', {
      logger,
      restartBackoffStartMs: 50,
      restartBackoffMaxMs: 200,
      undecodableBatches: {
        skipAfterAttempts: 3,
        deadLetter: (batch) => ({
          topic: deadLetterTopic,
          record: {
            key: `${batch.topic}:${batch.partition}:${batch.baseOffset}`,
            value: batch.compressed,
            headers: {
              where: `${batch.topic}[${batch.partition}] ${batch.baseOffset}..${batch.lastOffset}`,
              codec: batch.codec,
              attempts: String(batch.attempts),
            },
          },
        }),
      },
    });
    await reader.ensureTopics([
      { name: topic, partitions: 1, retentionMs: 3_600_000 },
      { name: deadLetterTopic, partitions: 1, retentionMs: 3_600_000 },
    ]);
    await reader.publish(topic, records(values('before', 2)));
    await (await connect('lz4')).publish(topic, records(values('lz4', 3)));
    await reader.publish(topic, records(values('after', 2)));

    const original = CompressionCodecs[CompressionTypes.LZ4];
    const real = registeredCodec('lz4');
    const faulty = guardedCodec('lz4', {
      compress: (encoder) => real.compress(encoder),
      decompress: () => Promise.reject(new Error('injected lz4 decode fault')),
    });
    CompressionCodecs[CompressionTypes.LZ4] = () => faulty;
    const groupId = uniqueName('hopeless-reader');
    const received: string[] = [];
    const deadLetters: LogRecord[] = [];
    let subscription: Subscription | undefined;
    let dlqReader: Subscription | undefined;
    try {
      subscription = await reader.subscribe({
        groupId,
        topics: [topic],
        handler: async (batch) => void received.push(...batch.records.map((record) => record.value.toString())),
      });
      const current = subscription;
      await waitFor(() => received.length >= 4 && current.status().state === 'consuming', {
        description: 'the records around the skipped batch consumed',
      }).catch((e) => {
        console.log(JSON.stringify({ errors, received, status: current.status(), stats: [...reader.stats().skippedBatches] }, null, 1));
        throw e;
      });
      expect(received).toEqual([...values('before', 2), ...values('after', 2)]);
      expect(reader.stats().skippedBatches.get(groupId)).toBe(1);
      expect(reader.stats().undecodableBatches.get(groupId)).toBeGreaterThanOrEqual(3);
      expect(
        errors.some((line) =>
          line.includes(`gave up on the lz4 batch at ${topic}[0] offsets 2..4 after 3 attempts: dead-lettered to ${deadLetterTopic} and skipped`),
        ),
      ).toBe(true);
      await waitFor(async () => (await reader.committedOffsets(groupId, topic)).get(0) === '7', { description: 'the commit past every record' });
    } finally {
      CompressionCodecs[CompressionTypes.LZ4] = original;
    }
    try {
      dlqReader = await reader.subscribe({
        groupId: uniqueName('dlq-reader'),
        topics: [deadLetterTopic],
        handler: async (batch) => void deadLetters.push(...batch.records),
      });
      await waitFor(() => deadLetters.length >= 1, { description: 'the dead letter of the skipped batch' });
      expect(deadLetters).toHaveLength(1);
      expect(deadLetters[0].headers).toEqual({ where: `${topic}[0] 2..4`, codec: 'lz4', attempts: '3' });
      expect(deadLetters[0].key?.toString()).toBe(`${topic}:0:2`);
      // The dead letter keeps the records: its value is the batch's lz4 frame, which holds them.
      const inflated = await real.decompress(deadLetters[0].value);
      for (const value of values('lz4', 3)) expect(inflated.includes(Buffer.from(value))).toBe(true);
    } finally {
      await dlqReader?.close();
      await subscription?.close();
    }
  });
});

describe('KafkaEventLog tails that crash', () => {
  it('recreates a crashed tail, which goes on from what its handler applied: nothing twice, nothing lost', async () => {
    const errors: string[] = [];
    const logger = { warn: () => undefined, error: (line: string) => void errors.push(line) };
    const clientId = uniqueName('tail-crash');
    const log = await connect('none', { clientId, logger, restartBackoffStartMs: 100, restartBackoffMaxMs: 300 });
    const topic = uniqueName('tailed');
    await log.ensureTopics([{ name: topic, partitions: 1, retentionMs: 3_600_000 }]);
    const applied: string[] = [];
    const tail = await log.tail({ topics: [topic], handler: async (batch) => void applied.push(...batch.records.map((record) => record.value.toString())) });
    const original = CompressionCodecs[CompressionTypes.ZSTD];
    try {
      await log.publish(topic, records(values('first', 3)));
      await tail.caughtUp();
      expect(applied).toEqual(values('first', 3));
      const real = registeredCodec('zstd');
      CompressionCodecs[CompressionTypes.ZSTD] = () =>
        guardedCodec('zstd', { compress: (encoder) => real.compress(encoder), decompress: () => Promise.reject(new Error('injected zstd decode fault')) });
      await (await connect('zstd')).publish(topic, records(values('zstd', 3)));
      await waitFor(() => (log.stats().consumerRestarts.get(`${clientId}-tail`) ?? 0) >= 2, { description: 'the tail recreated after its crashes' });
      expect(errors.some((line) => line.includes('recreating it in') && line.includes('injected zstd decode fault'))).toBe(true);
    } finally {
      CompressionCodecs[CompressionTypes.ZSTD] = original;
    }
    try {
      await log.publish(topic, records(values('last', 2)));
      await waitFor(() => applied.length >= 8, { description: 'every record applied after the fault is gone' });
      await tail.caughtUp();
      expect(applied).toEqual([...values('first', 3), ...values('zstd', 3), ...values('last', 2)]);
    } finally {
      await tail.close();
    }
  });
});

describe('KafkaEventLog topic prefix and topic creation', () => {
  it('puts the prefix before every topic it is given, and hands records over under the contract name', async () => {
    const prefix = `${uniqueName('deploy')}.`;
    const log = await connect('lz4', { topicPrefix: prefix });
    const topic = uniqueName('prefixed');
    await log.ensureTopics([{ name: topic, partitions: 2, retentionMs: 3_600_000 }]);
    const admin = new Kafka({ clientId: uniqueName('observer'), brokers: kafkaBrokers(), logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      const names = await admin.listTopics();
      expect(names).toContain(`${prefix}${topic}`);
      expect(names).not.toContain(topic);
    } finally {
      await admin.disconnect();
    }
    await log.publish(topic, [{ key: 'a', value: 'one', partition: 0 }]);
    const seen: string[] = [];
    const groupId = uniqueName('prefixed-reader');
    const subscription = await log.subscribe({
      groupId,
      topics: [topic],
      handler: async (batch) => void seen.push(`${batch.topic}:${batch.records[0].topic}:${batch.records[0].value.toString()}`),
    });
    try {
      await waitFor(() => seen.length >= 1, { description: 'the record consumed' });
      expect(seen).toEqual([`${topic}:${topic}:one`]);
      await waitFor(async () => (await log.committedOffsets(groupId, topic)).get(0) === '1', { description: 'the commit visible under the contract name' });
      expect((await log.endOffsets(topic)).get(0)).toBe('1');
    } finally {
      await subscription.close();
    }
  });

  it('creates nothing when topic creation is off, and names every missing topic', async () => {
    const prefix = `${uniqueName('locked')}.`;
    const creator = await connect('none', { topicPrefix: prefix });
    const locked = await connect('none', { topicPrefix: prefix, createTopics: false });
    await creator.ensureTopics([{ name: 'present', partitions: 1, retentionMs: 3_600_000 }]);
    const specs = ['present', 'missing-a', 'missing-b'].map((name) => ({ name, partitions: 1, retentionMs: 3_600_000 }));
    const error = await locked.ensureTopics(specs).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(MissingTopicsError);
    expect((error as MissingTopicsError).message).toBe(
      `topic creation is off (KAFKA_CREATE_TOPICS=false) and 2 topic(s) do not exist: ${prefix}missing-a, ${prefix}missing-b`,
    );
    await expect(locked.ensureTopics(specs.slice(0, 1))).resolves.toBeUndefined();
  });
});
