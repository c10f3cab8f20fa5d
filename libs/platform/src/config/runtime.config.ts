import * as path from 'node:path';
import { ConfigReader, Environment } from './config-reader';
import { KafkaClientConfig, readKafkaClientConfig } from './kafka.config';

/** Where the event log lives: a real Kafka cluster, or the embedded log under DATA_DIR. */
export type EventLogConfig =
  | {
      readonly kind: 'kafka';
      readonly brokers: string[];
      readonly clientId: string;
      readonly partitions: number;
      /** Security, compression, topic prefix and topic creation (KAFKA_*; see kafka.config.ts). */
      readonly client: KafkaClientConfig;
    }
  | { readonly kind: 'embedded'; readonly dataDir: string; readonly partitions: number };

/** Where projections live: Postgres (DATABASE_URL) or the embedded SQL store under DATA_DIR. */
export type DatabaseConfig = { readonly kind: 'postgres'; readonly url: string } | { readonly kind: 'embedded'; readonly file: string };

export interface RuntimeConfig {
  readonly dataDir: string;
  readonly eventLog: EventLogConfig;
  readonly database: DatabaseConfig;
  readonly retentionDays: number;
  /** Prefix of the consumer-group ids (`<prefix>-enricher`, …): separate deployments on one cluster use their own. */
  readonly groupPrefix: string;
}

/** The part of the configuration every app shares. Variable names are the original product's. */
export function readRuntimeConfig(reader: ConfigReader, clientId: string): RuntimeConfig {
  const dataDir = path.resolve(reader.string('DATA_DIR', './data'));
  const brokers = reader.list('KAFKA_BROKERS');
  const partitions = reader.integer('TOPIC_PARTITIONS', 6, { min: 1, max: 1024 });
  const databaseUrl = reader.url('DATABASE_URL', ['postgres', 'postgresql', 'sqlite']);
  const retentionDays = reader.integer('RETENTION_DAYS', 7, { min: 1, max: 3650 });
  const eventLog: EventLogConfig =
    brokers.length > 0
      ? { kind: 'kafka', brokers, clientId: reader.string('KAFKA_CLIENT_ID', clientId), partitions, client: readKafkaClientConfig(reader) }
      : { kind: 'embedded', dataDir: path.join(dataDir, 'log'), partitions };
  const database: DatabaseConfig =
    databaseUrl && !databaseUrl.startsWith('sqlite')
      ? { kind: 'postgres', url: databaseUrl }
      : { kind: 'embedded', file: databaseUrl ? databaseUrl.replace(/^sqlite:(\/\/)?/, '') : path.join(dataDir, 'telemetry.sqlite') };
  const groupPrefix = reader.string('KAFKA_GROUP_PREFIX', 'telemetry');
  if (!/^[A-Za-z0-9._-]{1,100}$/.test(groupPrefix))
    reader.problem(`KAFKA_GROUP_PREFIX may hold letters, digits, ".", "_" and "-" (at most 100), got "${groupPrefix}"`);
  return { dataDir, eventLog, database, retentionDays, groupPrefix };
}

export function readEnvironment(env: Environment = process.env): ConfigReader {
  return new ConfigReader(env);
}
