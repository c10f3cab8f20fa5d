import { kafkaBrokers } from '@telemetry/testing';
import { describeEventLogContract } from '../testing/event-log.contract';
import { BatchHandler, EventLog, Subscription } from '../event-log.port';
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
      await log.publish(
        topic,
        Array.from({ length: 6 }, (_, i) => big(i, 400 * 1024)),
      );
      await log.publish(topic, [big(6, 3 * 1024 * 1024)]);
      const sizes: number[] = [];
      const subscription = await log.subscribe({
        groupId: uniqueName('large-reader'),
        topics: [topic],
        handler: async (batch) => void sizes.push(...batch.records.map((r) => r.value.length)),
      });
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
      await log.publish(topic, [
        { key: 'a', value: '1' },
        { key: 'b', value: '2' },
      ]);
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

describe('KafkaEventLog partitions held until a due time', () => {
  it('a member joining while a partition is held: its rest is delivered once, at its time, from the committed prefix; the other partition goes on', async () => {
    const { uniqueName, waitFor } = await import('@telemetry/testing');
    const log = await KafkaEventLog.connect({ brokers: kafkaBrokers(), clientId: 'held-rebalance-test', partitionsConsumedConcurrently: 2 });
    const subscriptions: Subscription[] = [];
    try {
      const topic = uniqueName('held-rebalance');
      await log.ensureTopics([{ name: topic, partitions: 2, retentionMs: 3_600_000 }]);
      await log.publish(topic, [
        { value: 'first', partition: 0 },
        { value: 'held', partition: 0 },
        { value: 'after-held', partition: 0 },
      ]);
      const groupId = uniqueName('held-rebalance');
      const handled: Array<{ member: string; at: number; partition: number; value: string }> = [];
      // Due well after the second member's join, so the rebalance happens while partition 0 is held.
      let dueAt: number | undefined;
      const member =
        (name: string): BatchHandler =>
        async (batch) => {
          const now = Date.now();
          const heldAt = batch.records.findIndex((r) => {
            if (r.value.toString() !== 'held') return false;
            dueAt ??= now + 10_000;
            return now < dueAt;
          });
          const consumed = heldAt === -1 ? batch.records.length : heldAt;
          for (const r of batch.records.slice(0, consumed)) handled.push({ member: name, at: now, partition: batch.partition, value: r.value.toString() });
          return heldAt === -1 ? undefined : { consumed, retryAtMs: dueAt };
        };
      subscriptions.push(await log.subscribe({ groupId, topics: [topic], handler: member('first-member') }));
      await waitFor(() => dueAt !== undefined, { description: 'the first member holds partition 0' });

      // Resolves once the second member has joined, i.e. after the group rebalanced. Whichever
      // member owns partition 0 now, it starts from the committed prefix: the first member keeps
      // its hold, or released it on revocation and the new owner is offered the rest.
      subscriptions.push(await log.subscribe({ groupId, topics: [topic], handler: member('second-member') }));
      await log.publish(topic, [{ value: 'after-rebalance', partition: 1 }]);

      const other = await waitFor(() => handled.find((h) => h.value === 'after-rebalance'), { description: 'partition 1 after the rebalance' });
      expect(other.at).toBeLessThan(dueAt!);
      await waitFor(() => handled.some((h) => h.value === 'after-held'), { description: 'the rest of partition 0' });
      const partition0 = handled.filter((h) => h.partition === 0);
      expect(partition0.map((h) => h.value)).toEqual(['first', 'held', 'after-held']);
      expect(partition0[1].at).toBeGreaterThanOrEqual(dueAt!);
      await waitFor(
        async () => {
          const committed = await log.committedOffsets(groupId, topic);
          return committed.get(0) === '3' && committed.get(1) === '1';
        },
        { description: 'both partitions committed to their end' },
      );
    } finally {
      await Promise.all(subscriptions.map((subscription) => subscription.close()));
      await log.close();
    }
  });
});
