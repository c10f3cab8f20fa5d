import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';
import { DynamicModule, INestApplication, LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { loadAllInOneConfig } from '../../../apps/all-in-one/src/all-in-one.config';
import { AllInOneModule } from '../../../apps/all-in-one/src/all-in-one.module';
import { loadIngestApiConfig } from '../../../apps/ingest-api/src/ingest-api.config';
import { IngestApiModule } from '../../../apps/ingest-api/src/ingest-api.module';
import { EVENT_LOG, EventLog } from '@telemetry/event-log';
import { configureHttpPipeline, PlatformConfig, startEventLogConsumers } from '@telemetry/platform';
import { dropDatabase, freshDatabase, kafkaBrokers, uniqueName, writeGeoFixtureFiles } from '@telemetry/testing';

/**
 * Starting the product in-process for the benchmark, mirroring test/e2e/all-in-one.harness.ts
 * (which the build does not compile): same env, same modules, fresh state per run. The HTTP app is
 * set up like `createHttpApp` (same middleware in the same order), minus the Swagger document and
 * the OpenTelemetry SDK (off anyway without an OTLP endpoint), with the logger at warnings and errors.
 */

export type Mode = 'embedded' | 'kafka';
export const BENCH_KEY = 'bench-key-0000000001';
export const QUIET_LOG_LEVELS: LogLevel[] = ['error', 'warn'];

export interface RunningApp {
  readonly app: INestApplication;
  readonly config: PlatformConfig;
  readonly port: number;
  readonly tenant: string;
  readonly dataDir: string;
  readonly databaseName?: string;
  /** Stops the app; its data directory and database are removed unless `keepState`. */
  close(options?: { keepState?: boolean }): Promise<void>;
}

export interface ProductOptions {
  readonly mode: Mode;
  /** 'default': the embedded DB-IP/ip-location-db data users get; 'fixture': the small test mmdbs. */
  readonly geo: 'default' | 'fixture';
  readonly threatlistCsv: string;
  readonly partitions: number;
  /** Settings on top of the harness's (e.g. RATE_LIMIT_PER_MIN for a load above the default 600 requests a minute). */
  readonly env?: Readonly<Record<string, string>>;
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `telemetry-bench-${prefix}-`));
}

export { writeGeoFixtureFiles as writeGeoFixtures, freshDatabase, dropDatabase };

/** The environment the harness gives the product, for either mode. */
export async function productEnvironment(
  options: ProductOptions,
  dataDir: string,
  withDatabase: boolean,
): Promise<{ env: Record<string, string>; tenant: string; databaseName?: string }> {
  const tenant = uniqueName('bench-tenant');
  const env: Record<string, string> = {
    DATA_DIR: dataDir,
    PORT: '0',
    HOST: '127.0.0.1',
    API_KEY: BENCH_KEY,
    DEFAULT_TENANT: tenant,
    LOG_LEVEL: 'warn',
    THREATLIST_CSV: options.threatlistCsv,
    TOPIC_PARTITIONS: String(options.partitions),
    ...options.env,
  };
  if (options.geo === 'fixture') {
    const geo = writeGeoFixtureFiles(dataDir);
    env.GEOIP_DB_CITY = geo.city;
    env.GEOIP_DB_ASN = geo.asn;
  }
  let databaseName: string | undefined;
  if (options.mode === 'kafka') {
    env.KAFKA_BROKERS = kafkaBrokers().join(',');
    if (withDatabase) {
      env.DATABASE_URL = await freshDatabase('bench');
      databaseName = env.DATABASE_URL;
    }
  }
  return { env, tenant, databaseName };
}

async function listen(app: INestApplication, config: PlatformConfig): Promise<number> {
  await app.listen(config.port, config.host);
  return (app.getHttpServer().address() as AddressInfo).port;
}

function running(app: INestApplication, config: PlatformConfig, port: number, tenant: string, dataDir: string, databaseName?: string): RunningApp {
  let closed: Promise<void> | undefined;
  return {
    app,
    config,
    port,
    tenant,
    dataDir,
    databaseName,
    close: ({ keepState = false } = {}) =>
      (closed ??= (async () => {
        try {
          await app.close();
        } finally {
          if (!keepState) {
            fs.rmSync(dataDir, { recursive: true, force: true });
            if (databaseName) await dropDatabase(databaseName);
          }
        }
      })()),
  };
}

export type EventLogFactory = (config: PlatformConfig) => Promise<EventLog>;

async function createApp(module: DynamicModule, eventLog?: EventLogFactory, config?: PlatformConfig): Promise<INestApplication> {
  if (!eventLog || !config) return NestFactory.create(module, { bodyParser: false, logger: QUIET_LOG_LEVELS });
  const log = await eventLog(config);
  const moduleRef = await Test.createTestingModule({ imports: [module] })
    .overrideProvider(EVENT_LOG)
    .useValue(log)
    .compile();
  return moduleRef.createNestApplication({ bodyParser: false, logger: QUIET_LOG_LEVELS });
}

/**
 * The all-in-one (ingest + enricher + query) on an ephemeral port, fresh state, a unique tenant.
 * `eventLog`, when given, replaces the log the runtime would open (see TopicRemappingEventLog).
 */
export async function startAllInOne(options: ProductOptions, eventLog?: EventLogFactory): Promise<RunningApp> {
  const dataDir = tempDir(`e2e-${options.mode}`);
  const { env, tenant, databaseName } = await productEnvironment(options, dataDir, true);
  const config = loadAllInOneConfig(env);
  const app = await createApp(AllInOneModule.forConfig(config), eventLog, config.platform);
  configureHttpPipeline(app);
  await startEventLogConsumers(app);
  const port = await listen(app, config.platform);
  return running(app, config.platform, port, tenant, dataDir, databaseName);
}

/** The ingest role alone (the ingest-api app's module), e.g. to measure HTTP ingest without the other roles. */
export async function startIngestOnly(options: ProductOptions, eventLog?: EventLogFactory): Promise<RunningApp> {
  const dataDir = tempDir(`ingest-${options.mode}`);
  const { env, tenant, databaseName } = await productEnvironment(options, dataDir, false);
  const config = loadIngestApiConfig(env);
  const app = await createApp(IngestApiModule.forConfig(config), eventLog, config.platform);
  configureHttpPipeline(app);
  await startEventLogConsumers(app);
  const port = await listen(app, config.platform);
  return running(app, config.platform, port, tenant, dataDir, databaseName);
}
