import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { INestApplication } from '@nestjs/common';
import request from 'supertest';
import type { Scope } from '@telemetry/contracts';
import { loadAllInOneConfig } from '../../apps/all-in-one/src/all-in-one.config';
import { AllInOneModule } from '../../apps/all-in-one/src/all-in-one.module';
import { createHttpApp } from '@telemetry/platform';
import { dropDatabase, freshDatabase, kafkaBrokers, uniqueName, writeGeoFixtureFiles } from '@telemetry/testing';

export const SAMPLES = path.resolve(__dirname, '../../samples');
export const TEST_KEY = 'e2e-test-key-0001';

export interface RunningProduct {
  readonly app: INestApplication;
  readonly server: ReturnType<INestApplication['getHttpServer']>;
  readonly tenant: string;
  readonly dataDir: string;
  close(): Promise<void>;
}

/** GeoIP City and ASN fixtures the project builds itself. */
export const writeGeoFixtures = writeGeoFixtureFiles;

/**
 * Starts the all-in-one product in-process on an ephemeral port, in the embedded mode or against
 * real Kafka + Postgres. Each run gets its own tenant (the default tenant of its key), so runs on a
 * shared broker never see each other's records.
 */
export async function startProduct(mode: 'embedded' | 'kafka', extraEnv: Record<string, string> = {}): Promise<RunningProduct> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'telemetry-e2e-'));
  const geo = writeGeoFixtures(dataDir);
  const tenant = extraEnv.DEFAULT_TENANT ?? uniqueName('tenant');
  const env: Record<string, string> = {
    DATA_DIR: dataDir,
    PORT: '0',
    HOST: '127.0.0.1',
    API_KEY: TEST_KEY,
    DEFAULT_TENANT: tenant,
    GEOIP_DB_CITY: geo.city,
    GEOIP_DB_ASN: geo.asn,
    THREATLIST_CSV: path.join(SAMPLES, 'threatlist.csv'),
    TOPIC_PARTITIONS: '3',
    LOG_LEVEL: process.env.E2E_LOG_LEVEL ?? 'warn',
    // Its own consumer groups: runs in parallel on one broker never take each other's partitions.
    KAFKA_GROUP_PREFIX: uniqueName('e2e'),
    ...extraEnv,
  };
  // A database the harness made is the harness's to drop (one a caller passed in is the caller's).
  let ownDatabase: string | undefined;
  if (mode === 'kafka') {
    env.KAFKA_BROKERS = extraEnv.KAFKA_BROKERS ?? kafkaBrokers().join(',');
    env.DATABASE_URL = extraEnv.DATABASE_URL ?? (ownDatabase = await freshDatabase('e2e'));
  }
  const config = loadAllInOneConfig(env);
  const app = await createHttpApp(AllInOneModule.forConfig(config), config.platform);
  return {
    app,
    server: app.getHttpServer(),
    tenant,
    dataDir,
    close: async () => {
      await app.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
      if (ownDatabase) await dropDatabase(ownDatabase);
    },
  };
}

type HttpTarget = Parameters<typeof request>[0];

/**
 * A key with only these scopes, issued through the admin API with an admin key (the tenant is
 * created first when it does not exist yet). Answers the secret.
 */
export async function issueKey(server: HttpTarget, adminKey: string, tenantId: string, scopes: Scope[]): Promise<string> {
  const admin = { Authorization: `Bearer ${adminKey}` };
  const existing = await request(server).get(`/v1/admin/tenants/${tenantId}`).set(admin);
  if (existing.status === 404) await request(server).post('/v1/admin/tenants').set(admin).send({ tenant_id: tenantId }).expect(201);
  const issued = await request(server).post('/v1/admin/keys').set(admin).send({ tenant_id: tenantId, scopes }).expect(201);
  return issued.body.api_key as string;
}
