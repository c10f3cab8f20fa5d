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
