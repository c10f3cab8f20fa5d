import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';
import { DynamicModule, INestApplication, LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import * as express from 'express';
import { Client } from 'pg';
import { loadAllInOneConfig } from '../../../apps/all-in-one/src/all-in-one.config';
import { AllInOneModule } from '../../../apps/all-in-one/src/all-in-one.module';
import { loadIngestApiConfig } from '../../../apps/ingest-api/src/ingest-api.config';
import { IngestApiModule } from '../../../apps/ingest-api/src/ingest-api.module';
import { EVENT_LOG, EventLog } from '@telemetry/event-log';
import { AppConfig } from '@telemetry/runtime';
import { buildAsnDb, buildCityDb, databaseUrl, defaultAsnFixture, defaultCityFixture, kafkaBrokers, uniqueName } from '@telemetry/testing';

/**
 * Starting the product in-process for the benchmark, mirroring test/e2e/all-in-one.harness.ts
 * (which the build does not compile): same env, same modules, fresh state per run. The HTTP app is
 * set up like `createHttpApp` (same middleware in the same order), minus the Swagger document and
 * the OpenTelemetry SDK (off anyway without an OTLP endpoint), with the logger at warnings and errors.
 */

export type Mode = 'embedded' | 'kafka';
export const BENCH_KEY = 'bench-key-0001';
export const QUIET_LOG_LEVELS: LogLevel[] = ['error', 'warn'];

export interface RunningApp {
  readonly app: INestApplication;
  readonly config: AppConfig;
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
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `telemetry-bench-${prefix}-`));
}

/** GeoIP City and ASN fixtures the project builds itself (libs/testing). */
export function writeGeoFixtures(dir: string): { city: string; asn: string } {
  const city = path.join(dir, 'city.mmdb');
  const asn = path.join(dir, 'asn.mmdb');
  fs.writeFileSync(city, buildCityDb([...defaultCityFixture]));
  fs.writeFileSync(asn, buildAsnDb([...defaultAsnFixture]));
  return { city, asn };
}

/** A fresh Postgres database per run, so projections start empty; dropped by `dropDatabase`. */
export async function freshDatabase(): Promise<{ url: string; name: string }> {
  const admin = new URL(databaseUrl());
  const name = uniqueName('bench').replace(/-/g, '_');
  const client = new Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  admin.pathname = `/${name}`;
  return { url: admin.toString(), name };
}

export async function dropDatabase(name: string): Promise<void> {
  const client = new Client({ connectionString: databaseUrl() });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

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
  };
  if (options.geo === 'fixture') {
    const geo = writeGeoFixtures(dataDir);
    env.GEOIP_DB_CITY = geo.city;
    env.GEOIP_DB_ASN = geo.asn;
  }
  let databaseName: string | undefined;
  if (options.mode === 'kafka') {
    env.KAFKA_BROKERS = kafkaBrokers().join(',');
    if (withDatabase) {
      const database = await freshDatabase();
      env.DATABASE_URL = database.url;
      databaseName = database.name;
    }
  }
  return { env, tenant, databaseName };
}

/** What `createHttpApp` does to an app before it listens (body parsing and headers), in the same order. */
function configureHttp(app: INestApplication): void {
  const json = express.json({ limit: '1mb' });
  app.use((request: express.Request, response: express.Response, next: express.NextFunction) => {
    if (request.path.startsWith('/v1/ingest')) return next();
    return json(request, response, next);
  });
  app.use((request: express.Request, response: express.Response, next: express.NextFunction) => {
    response.setHeader('X-API-Version', 'v1');
    response.setHeader('X-Content-Type-Options', 'nosniff');
    next();
  });
  app.enableShutdownHooks();
}

async function listen(app: INestApplication, config: AppConfig): Promise<number> {
  await app.listen(config.port, config.host);
  return (app.getHttpServer().address() as AddressInfo).port;
}

function running(app: INestApplication, config: AppConfig, port: number, tenant: string, dataDir: string, databaseName?: string): RunningApp {
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

export type EventLogFactory = (config: AppConfig) => Promise<EventLog>;

async function createApp(module: DynamicModule, eventLog?: EventLogFactory, config?: AppConfig): Promise<INestApplication> {
  if (!eventLog || !config) return NestFactory.create(module, { bodyParser: false, logger: QUIET_LOG_LEVELS });
  const log = await eventLog(config);
  const moduleRef = await Test.createTestingModule({ imports: [module] }).overrideProvider(EVENT_LOG).useValue(log).compile();
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
  const app = await createApp(AllInOneModule.forConfig(config), eventLog, config);
  configureHttp(app);
  const port = await listen(app, config);
  return running(app, config, port, tenant, dataDir, databaseName);
}

/** The ingest role alone (the ingest-api app's module), e.g. to measure HTTP ingest without the other roles. */
export async function startIngestOnly(options: ProductOptions, eventLog?: EventLogFactory): Promise<RunningApp> {
  const dataDir = tempDir(`ingest-${options.mode}`);
  const { env, tenant, databaseName } = await productEnvironment(options, dataDir, false);
  const config = loadIngestApiConfig(env);
  const app = await createApp(IngestApiModule.forConfig(config), eventLog, config);
  configureHttp(app);
  const port = await listen(app, config);
  return running(app, config, port, tenant, dataDir, databaseName);
}
