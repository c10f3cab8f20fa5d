import { Kafka, logLevel } from 'kafkajs';
import { defaultTopicSpecs, TOPICS } from '@telemetry/contracts';
import { ENRICHER_GROUP } from '@telemetry/enricher';
import { EventLog, KafkaEventLog } from '@telemetry/event-log';
import { PROJECTION_GROUP } from '@telemetry/query';
import { ConfigReader, PlatformConfig, readKafkaClientConfig } from '@telemetry/platform';
import { kafkaBrokers } from '@telemetry/testing';
import { Renames, TopicRemappingEventLog } from './topic-remapping.event-log';

/** Unique topic and group names for one benchmark run (prefix + contract name). */
export function isolatedRenames(prefix: string): Renames {
  const topics: Record<string, string> = {};
  for (const name of Object.values(TOPICS)) topics[name] = `${prefix}.${name}`;
  return { topics, groups: { [ENRICHER_GROUP]: `${prefix}.${ENRICHER_GROUP}`, [PROJECTION_GROUP]: `${prefix}.${PROJECTION_GROUP}` } };
}

/**
 * What the runtime's `openEventLog` does in the Kafka mode (connect, then ensure the contract
 * topics), behind the renaming log.
 */
export async function openRenamedKafkaLog(config: PlatformConfig, renames: Renames): Promise<EventLog> {
  const settings = config.runtime.eventLog;
  if (settings.kind !== 'kafka') throw new Error('openRenamedKafkaLog needs the Kafka mode');
  const inner = await KafkaEventLog.connect({ brokers: settings.brokers, clientId: settings.clientId, compression: settings.client.compression });
  const log = new TopicRemappingEventLog(inner, renames);
  await log.ensureTopics(defaultTopicSpecs(settings.partitions, config.runtime.retentionDays));
  return log;
}

export async function openRenamedKafkaLogDirect(renames: Renames, partitions: number): Promise<EventLog> {
  // The product's KAFKA_COMPRESSION (gzip unless set), as the apps read it.
  const inner = await KafkaEventLog.connect({ brokers: kafkaBrokers(), clientId: 'telemetry-bench', compression: benchCompression() });
  const log = new TopicRemappingEventLog(inner, renames);
  await log.ensureTopics(defaultTopicSpecs(partitions, 7));
  return log;
}

/** Deletes the run's unique topics and groups; the broker keeps nothing of a benchmark run. */
export async function deleteIsolated(renames: Renames, extraGroups: readonly string[] = []): Promise<void> {
  const kafka = new Kafka({ clientId: 'telemetry-bench-admin', brokers: kafkaBrokers(), logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const topics = Object.values(renames.topics).filter((topic) => existing.has(topic));
    if (topics.length > 0) await admin.deleteTopics({ topics, timeout: 30_000 });
    const groups = [...Object.values(renames.groups), ...extraGroups];
    await admin.deleteGroups(groups).catch(() => undefined);
  } finally {
    await admin.disconnect();
  }
}

/** KAFKA_COMPRESSION of this run's environment, as the product reads it (default gzip). */
export function benchCompression(): ReturnType<typeof readKafkaClientConfig>['compression'] {
  return readKafkaClientConfig(new ConfigReader(process.env)).compression;
}
