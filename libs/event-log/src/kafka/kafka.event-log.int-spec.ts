import { kafkaBrokers } from '@telemetry/testing';
import { describeEventLogContract } from '../testing/event-log.contract';
import { EventLog } from '../event-log.port';
import { KafkaEventLog } from './kafka.event-log';

// The shared contract, against the real Apache Kafka broker that infra/kafka/start.sh runs.
describeEventLogContract('kafka', async () => {
  const connect = () => KafkaEventLog.connect({ brokers: kafkaBrokers(), clientId: 'contract-test', partitionsConsumedConcurrently: 2 });
  let current: EventLog = await connect();
  return {
    log: current,
    reopen: async () => {
      await current.close();
      current = await connect();
      return current;
    },
    teardown: () => current.close(),
  };
});

describe('KafkaEventLog with large records', () => {
  it('publishes many large records in one call (split into requests the broker takes) and a single 3 MiB record', async () => {
    const { uniqueName, waitFor } = await import('@telemetry/testing');
    const log = await KafkaEventLog.connect({ brokers: kafkaBrokers(), clientId: 'large-records-test', compression: 'none' });
    try {
      const topic = uniqueName('large');
      await log.ensureTopics([{ name: topic, partitions: 1, retentionMs: 3_600_000 }]);
      const big = (i: number, size: number) => ({ key: 'k', value: Buffer.alloc(size, 65 + (i % 26)) });
      await log.publish(topic, Array.from({ length: 6 }, (_, i) => big(i, 400 * 1024)));
      await log.publish(topic, [big(6, 3 * 1024 * 1024)]);
      const sizes: number[] = [];
      const subscription = await log.subscribe({ groupId: uniqueName('large-reader'), topics: [topic], handler: async (batch) => void sizes.push(...batch.records.map((r) => r.value.length)) });
      try {
        await waitFor(() => sizes.length >= 7, { description: 'all 7 large records consumed' });
        expect(sizes).toEqual([...Array(6).fill(400 * 1024), 3 * 1024 * 1024]);
      } finally {
        await subscription.close();
      }
    } finally {
      await log.close();
    }
  });
});

describe('KafkaEventLog tails', () => {
  it('reads through a throwaway group that commits nothing and is deleted on close', async () => {
    const { uniqueName } = await import('@telemetry/testing');
    const { Kafka } = await import('kafkajs');
    const clientId = uniqueName('tail-cleanup');
    const log = await KafkaEventLog.connect({ brokers: kafkaBrokers(), clientId });
    const admin = new Kafka({ clientId: `${clientId}-observer`, brokers: kafkaBrokers() }).admin();
    await admin.connect();
    try {
      const topic = uniqueName('tail-cleanup');
      await log.ensureTopics([{ name: topic, partitions: 2, retentionMs: 3_600_000 }]);
      await log.publish(topic, [{ key: 'a', value: '1' }, { key: 'b', value: '2' }]);
      const values: string[] = [];
      const tail = await log.tail({ topics: [topic], handler: async (batch) => void values.push(...batch.records.map((r) => r.value.toString())) });
      await tail.caughtUp({ timeoutMs: 30_000 });
      expect(values.sort()).toEqual(['1', '2']);

      const tailGroups = async () => (await admin.listGroups()).groups.map((g) => g.groupId).filter((id) => id.startsWith(`${clientId}-tail-`));
      const [groupId] = await tailGroups();
      expect(groupId).toMatch(new RegExp(`^${clientId}-tail-[0-9a-f-]{36}$`));
      const offsets = await admin.fetchOffsets({ groupId, topics: [topic] });
      expect(offsets.flatMap((entry) => entry.partitions.map((p) => p.offset))).toEqual(['-1', '-1']);

      await tail.close();
      expect(await tailGroups()).toEqual([]);
    } finally {
      await admin.disconnect();
      await log.close();
    }
  });
});
