import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  dropFreshDatabases,
  freePorts,
  freshDatabase,
  kafkaBrokers,
  RunningProcess,
  spawnTypeScript,
  uniqueName,
  waitFor,
  waitHealthy,
} from '@telemetry/testing';
import { SAMPLES, writeGeoFixtures } from './all-in-one.harness';

const KEY = 'process-e2e-key-01';

async function post(port: number, route: string, file: string): Promise<Record<string, unknown>> {
  const response = await fetch(`http://127.0.0.1:${port}${route}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${KEY}`, 'Content-Type': 'application/json' },
    body: fs.readFileSync(path.join(SAMPLES, file)),
  });
  expect(response.status).toBe(202);
  return (await response.json()) as Record<string, unknown>;
}

async function downloaded(port: number): Promise<Array<Record<string, unknown>>> {
  const response = await fetch(`http://127.0.0.1:${port}/v1/download/json?limit=100`, { headers: { Authorization: `Bearer ${KEY}` } });
  if (!response.ok) return [];
  return (await response.text())
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('the apps as separate processes', () => {
  const running: RunningProcess[] = [];
  let dir: string;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'telemetry-processes-'));
  });

  afterAll(dropFreshDatabases);

  afterEach(async () => {
    await Promise.all(running.splice(0).map((process) => process.kill()));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function start(entry: string, port: number, env: Record<string, string>): RunningProcess {
    const process = spawnTypeScript(entry, { PORT: String(port), HOST: '127.0.0.1', API_KEY: KEY, LOG_LEVEL: 'warn', ...env });
    running.push(process);
    return process;
  }

  it('distributed mode: ingest-api, enricher and query-api on real Kafka and Postgres; a killed enricher loses nothing', async () => {
    const geo = writeGeoFixtures(dir);
    const env = {
      KAFKA_BROKERS: kafkaBrokers().join(','),
      DATABASE_URL: await freshDatabase('processes'),
      DEFAULT_TENANT: uniqueName('tenant'),
      KAFKA_GROUP_PREFIX: uniqueName('processes'),
      GEOIP_DB_CITY: geo.city,
      GEOIP_DB_ASN: geo.asn,
      THREATLIST_CSV: path.join(SAMPLES, 'threatlist.csv'),
      DATA_DIR: dir,
    };
    // Ports the OS says are free (a fixed or random range can collide with ephemeral client ports).
    const [ingestPort, queryPort, enricherPort] = await freePorts(3);
    const ingest = start('apps/ingest-api/src/main.ts', ingestPort, env);
    const query = start('apps/query-api/src/main.ts', queryPort, env);
    let enricher = start('apps/enricher/src/main.ts', enricherPort, env);
    await Promise.all([waitHealthy(ingestPort, ingest), waitHealthy(queryPort, query), waitHealthy(enricherPort, enricher)]);
    // Each role's readiness checks what that role depends on: ingest-api and query-api their database too.
    const readiness = async (port: number) => (await (await fetch(`http://127.0.0.1:${port}/health/ready`)).json()) as { checks: Record<string, unknown> };
    const ready = await waitFor(
      async () => {
        const bodies = await Promise.all([ingestPort, queryPort, enricherPort].map(readiness));
        return bodies.every((body) => (body as { status?: string }).status === 'ok') ? bodies : undefined;
      },
      { timeoutMs: 30_000, description: 'every process ready' },
    );
    expect(Object.keys(ready[0].checks)).toEqual(expect.arrayContaining(['event_log', 'database']));
    expect(Object.keys(ready[1].checks)).toEqual(expect.arrayContaining(['event_log', 'database']));
    expect(Object.keys(ready[2].checks)).not.toContain('database');

    await post(ingestPort, '/v1/ingest/zeek', 'zeek_conn.json');
    await waitFor(async () => (await downloaded(queryPort)).length >= 3, { timeoutMs: 60_000, description: 'the Zeek sample projected' });

    // kill -9 the enricher, ingest while it is gone, start a new one: the backlog is enriched.
    await enricher.kill();
    await post(ingestPort, '/v1/ingest/netflow', 'flows_v1.json');
    await post(ingestPort, '/v1/ingest/zeek', 'zeek_conn_small.json');
    enricher = start('apps/enricher/src/main.ts', enricherPort, env);
    await waitHealthy(enricherPort, enricher);

    const records = await waitFor(
      async () => {
        const current = await downloaded(queryPort);
        return current.length >= 8 ? current : undefined;
      },
      { timeoutMs: 90_000, description: 'all 8 records projected after the enricher restart' },
    );
    expect(records).toHaveLength(8);
    expect(new Set(records.map((record) => record.event_id)).size).toBe(8);
    const rdp = records.find((record) => record.dst_ip === '45.155.205.233');
    expect(rdp).toMatchObject({ risk_score: 90, tenant_id: env.DEFAULT_TENANT });
  });

  it('embedded mode: records acknowledged with 202 survive a kill -9 of the all-in-one and are enriched after restart', async () => {
    const geo = writeGeoFixtures(dir);
    const env = { DATA_DIR: path.join(dir, 'data'), GEOIP_DB_CITY: geo.city, GEOIP_DB_ASN: geo.asn, THREATLIST_CSV: path.join(SAMPLES, 'threatlist.csv') };
    const [port] = await freePorts(1);
    let product = start('apps/all-in-one/src/main.ts', port, env);
    await waitHealthy(port, product);
    await post(port, '/v1/ingest/zeek', 'zeek_conn.json');
    await post(port, '/v1/ingest/netflow', 'flows_v1.json');
    await product.kill();

    product = start('apps/all-in-one/src/main.ts', port, env);
    await waitHealthy(port, product);
    const records = await waitFor(
      async () => {
        const current = await downloaded(port);
        return current.length >= 6 ? current : undefined;
      },
      { timeoutMs: 60_000, description: 'the 6 acknowledged records enriched after the restart' },
    );
    expect(records).toHaveLength(6);
    expect(records.find((record) => record.dst_ip === '45.155.205.233')).toMatchObject({ risk_score: 90 });
  });
});
