import { KafkaEventLog } from '@telemetry/event-log';
import { kafkaBrokers } from '@telemetry/testing';
import { describeEventLogTransportContract } from './testing/event-log-transport.contract';

// The same contract against the real Apache Kafka broker that infra/kafka/start.sh runs.
describeEventLogTransportContract('kafka', async () => {
  const log = await KafkaEventLog.connect({ brokers: kafkaBrokers(), clientId: 'transport-contract-test' });
  return { log, teardown: () => log.close() };
});
