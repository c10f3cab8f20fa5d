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
