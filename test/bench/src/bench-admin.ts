import { fork, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { dropDatabase, freePorts, freshDatabase, kafkaBrokers, uniqueName } from '@telemetry/testing';
import type { StageResult } from './bench-stages';

const ZEEK = JSON.stringify([
  { ts: 1732288900, uid: 'bench-admin', 'id.orig_h': '10.0.0.1', 'id.orig_p': 50000, 'id.resp_h': '8.8.8.8', 'id.resp_p': 53, proto: 'udp' },
]);

/**
 * Admin command → usable key, across processes on real Kafka: a query-api issues a key, and the
 * time until a separate ingest-api process accepts it (its first request, which waits for the
 * control topic when the key is new to it) is one sample; then the key is revoked and the time until
 * that ingest-api refuses it is another. `rounds` of each, p50/p99.
 */
export async function runAdminLatencyStage(rounds = 50): Promise<StageResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-admin-'));
  const database = await freshDatabase('bench_admin');
  const adminKey = `${uniqueName('bench-admin')}-0123456789`;
  const [queryPort, ingestPort] = await freePorts(2);
  const env = {
    PATH: process.env.PATH ?? '',
    KAFKA_BROKERS: kafkaBrokers().join(','),
    DATABASE_URL: database,
    DEFAULT_TENANT: uniqueName('bench-admin'),
    API_KEY: adminKey,
    KAFKA_GROUP_PREFIX: uniqueName('bench-admin'),
    DATA_DIR: dir,
    RATE_LIMIT_PER_MIN: '0',
    // Polling a revoked key until it is refused is a run of failed authentications from one address.
    AUTH_FAILURES_PER_MIN: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
  };
  const apps = path.resolve(__dirname, '../../../apps');
  const children: ChildProcess[] = [];
  const start = (app: string, port: number) => {
    const child = fork(path.join(apps, app, 'src/main.js'), [], { env: { ...env, PORT: String(port) }, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    children.push(child);
    return waitReady(port, child);
  };
  try {
    await Promise.all([start('query-api', queryPort), start('ingest-api', ingestPort)]);
    const usable: number[] = [];
    const revoked: number[] = [];
    for (let round = 0; round < rounds; round += 1) {
      const issued = await fetch(`http://127.0.0.1:${queryPort}/v1/admin/keys`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${adminKey}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ scopes: ['ingest'] }),
      });
      if (issued.status !== 201) throw new Error(`issuing a key answered ${issued.status}: ${await issued.text()}`);
      const { api_key: token, key_id: keyId } = (await issued.json()) as { api_key: string; key_id: string };
      const issuedAt = performance.now();
      const ingest = () =>
        fetch(`http://127.0.0.1:${ingestPort}/v1/ingest/zeek`, {
          method: 'POST',
          headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
          body: ZEEK,
        });
      const first = await ingest();
      if (first.status !== 202) throw new Error(`the new key's first request to the other process answered ${first.status}`);
      usable.push(performance.now() - issuedAt);
      const revoke = await fetch(`http://127.0.0.1:${queryPort}/v1/admin/keys/${keyId}`, {
        method: 'DELETE',
        headers: { Authorization: `Bearer ${adminKey}` },
      });
      if (revoke.status !== 200) throw new Error(`revoking answered ${revoke.status}`);
      const revokedAt = performance.now();
      for (;;) {
        const status = (await ingest()).status;
        if (status === 401) break;
        if (performance.now() - revokedAt > 10_000) throw new Error('a revoked key still worked after 10 s');
      }
      revoked.push(performance.now() - revokedAt);
    }
    const p = (values: number[], q: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.ceil(q * values.length) - 1)];
    return {
      stage: 'admin',
      mode: 'kafka',
      variant: `key issued on query-api → accepted by a separate ingest-api; revoked → refused there (${rounds} rounds)`,
      records: rounds,
      batchRecords: 1,
      wallMs: usable.reduce((a, b) => a + b, 0) + revoked.reduce((a, b) => a + b, 0),
      recordsPerSec: 0,
      details: { usableMsP50: p(usable, 0.5), usableMsP99: p(usable, 0.99), revokedMsP50: p(revoked, 0.5), revokedMsP99: p(revoked, 0.99) },
    };
  } finally {
    for (const child of children) child.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
    await dropDatabase(database).catch(() => undefined);
  }
}

async function waitReady(port: number, child: ChildProcess): Promise<void> {
  const deadline = performance.now() + 60_000;
  while (performance.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`an app exited with ${child.exitCode} before it was ready`);
    try {
      if ((await fetch(`http://127.0.0.1:${port}/health/ready`)).status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the app on port ${port} was not ready within 60 s`);
}
