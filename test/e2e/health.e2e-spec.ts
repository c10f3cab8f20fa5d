import * as fs from 'node:fs';
import * as path from 'node:path';
import { Client } from 'pg';
import request from 'supertest';
import { PLATFORM_CONFIG, type PlatformConfig } from '@telemetry/platform';
import { databaseUrl, waitFor } from '@telemetry/testing';
import { RunningProduct, SAMPLES, startProduct, TEST_KEY } from './all-in-one.harness';

/*
 * The probes of a real all-in-one: /health/live answers while the process runs; /health/ready
 * answers 200 only while the event log, the database and every consumer are up, and 503 naming
 * what is not (here: the read model's projection, whose database stops taking connections).
 */

interface ReadyBody {
  status: 'ok' | 'error';
  error?: string;
  message?: string;
  failed?: string[];
  checks: Record<string, { status: 'up' | 'down'; reason?: string; kind?: string; groups?: Array<{ group: string; state: string; ready: boolean }> }>;
}

async function ready(product: RunningProduct): Promise<{ status: number; body: ReadyBody }> {
  const response = await request(product.server).get('/health/ready');
  return { status: response.status, body: response.body as ReadyBody };
}

describe('health probes (embedded mode)', () => {
  let product: RunningProduct;

  beforeAll(async () => {
    product = await startProduct('embedded');
  });

  afterAll(async () => {
    await product?.close();
  });

  it('answers live and ready without an API key, with every check up', async () => {
    const live = await request(product.server).get('/health/live').expect(200);
    expect(live.body).toEqual({ status: 'ok', uptime_s: expect.any(Number) });

    const { status, body } = await ready(product);
    expect(status).toBe(200);
    expect(body.status).toBe('ok');
    expect(body.checks.event_log).toMatchObject({ status: 'up', kind: 'embedded' });
    expect(body.checks.database).toMatchObject({ status: 'up', kind: 'sqlite' });
    expect(body.checks.consumers).toMatchObject({ status: 'up', subscribed: true });
    const groups = (body.checks.consumers.groups ?? []).map((group) => group.group.replace(/^.*?-(?=(enricher|query-))/, ''));
    expect(groups).toEqual(expect.arrayContaining(['enricher', 'query-projections', 'query-dead-letters']));
    for (const group of body.checks.consumers.groups ?? []) expect(group).toMatchObject({ state: 'consuming', ready: true });
  });

  it('keeps /v1/health as the original public check', async () => {
    const response = await request(product.server).get('/v1/health').expect(200);
    expect(response.body).toEqual({ status: 'ok', uptime_s: expect.any(Number) });
  });

  it('documents both probes in the OpenAPI document', async () => {
    const document = await request(product.server).get('/openapi.json').expect(200);
    const paths = document.body.paths as Record<string, Record<string, { responses: Record<string, unknown> }>>;
    expect(Object.keys(paths['/health/live'].get.responses)).toEqual(['200']);
    expect(Object.keys(paths['/health/ready'].get.responses).sort()).toEqual(['200', '503']);
  });
});

describe('health probes (Kafka + Postgres mode)', () => {
  let product: RunningProduct;
  let database: string;
  let admin: Client;

  beforeAll(async () => {
    product = await startProduct('kafka', { READINESS_RETRY_GRACE_MS: '1000', READINESS_CACHE_MS: '0' });
    const settings = product.app.get<PlatformConfig>(PLATFORM_CONFIG).runtime.database;
    if (settings.kind !== 'postgres') throw new Error('the Kafka mode runs on Postgres');
    database = new URL(settings.url).pathname.slice(1);
    // The operator's connection: to the server's own database, never to the product's.
    admin = new Client({ connectionString: databaseUrl() });
    await admin.connect();
  });

  afterAll(async () => {
    await admin?.query(`ALTER DATABASE ${database} ALLOW_CONNECTIONS true`).catch(() => undefined);
    await admin?.end();
    await product?.close();
  });

  it('is ready with Kafka, Postgres and the consumers up; 503 naming the projection while its database refuses connections; ready again after', async () => {
    const up = await waitFor(
      async () => {
        const answer = await ready(product);
        return answer.status === 200 ? answer.body : undefined;
      },
      { timeoutMs: 60_000, description: 'ready (200)' },
    );
    expect(up.checks.event_log).toMatchObject({ status: 'up', kind: 'kafka' });
    expect(up.checks.database).toMatchObject({ status: 'up', kind: 'postgres' });
    expect(up.checks.consumers).toMatchObject({ status: 'up', subscribed: true });

    // The database stops taking connections, and the ones the product holds are cut.
    await admin.query(`ALTER DATABASE ${database} ALLOW_CONNECTIONS false`);
    await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [database]);
    // A batch for the projection to fail on.
    const zeek = fs.readFileSync(path.join(SAMPLES, 'zeek_conn_small.json'), 'utf8');
    await request(product.server)
      .post('/v1/ingest/zeek')
      .set('Authorization', `Bearer ${TEST_KEY}`)
      .set('Content-Type', 'application/json')
      .send(zeek)
      .expect(202);

    const down = await waitFor(
      async () => {
        const answer = await ready(product);
        const projection = answer.body.checks.consumers?.groups?.find((group) => group.group.endsWith('-query-projections'));
        // On the shared broker the DLQ projection may fail first, on other runs' dead letters: wait for ours.
        return answer.status === 503 && projection && !projection.ready ? answer.body : undefined;
      },
      { timeoutMs: 60_000, description: 'not ready (503) because of the enriched-events projection' },
    );
    expect(down).toMatchObject({ status: 'error', error: 'not_ready', failed: expect.arrayContaining(['database', 'consumers']) });
    expect(down.message).toMatch(
      /consumer \S+-query-projections \(telemetry\.enriched\.v1\) has been retrying for [\d.]+ s, longer than READINESS_RETRY_GRACE_MS \(1000 ms\)/,
    );
    expect(down.checks.database).toMatchObject({ status: 'down', reason: expect.stringMatching(/not currently accepting connections|terminat/) });
    expect(down.checks.event_log).toMatchObject({ status: 'up' });
    const projection = down.checks.consumers.groups?.find((group) => group.group.endsWith('-query-projections'));
    expect(projection).toMatchObject({ state: 'retrying', ready: false });
    // Liveness is not readiness: the process still runs.
    await request(product.server).get('/health/live').expect(200);

    await admin.query(`ALTER DATABASE ${database} ALLOW_CONNECTIONS true`);
    const again = await waitFor(
      async () => {
        const answer = await ready(product);
        return answer.status === 200 ? answer.body : undefined;
      },
      { timeoutMs: 60_000, description: 'ready again (200)' },
    );
    expect(again.checks.consumers).toMatchObject({ status: 'up' });
    expect(again.checks.database).toMatchObject({ status: 'up' });
  });
});
