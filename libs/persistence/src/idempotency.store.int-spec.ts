import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DatabaseConfig } from '@telemetry/platform';
import { dropFreshDatabases, freshDatabase } from '@telemetry/testing';
import { IdempotencyStore } from './idempotency.store';
import { SqlStore } from './sql-store';

const DAY_MS = 24 * 60 * 60 * 1000;

describe.each(['postgres', 'embedded'] as const)('IdempotencyStore on %s', (kind) => {
  let dir: string;
  let config: DatabaseConfig;
  let store: SqlStore;
  let now: number;
  let keys: IdempotencyStore;

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'idempotency-'));
    config = kind === 'postgres' ? { kind, url: await freshDatabase('idempotency') } : { kind, file: path.join(dir, 'ingest.sqlite') };
    store = await SqlStore.open(config);
    now = 1_767_000_000_000;
    keys = new IdempotencyStore(store, DAY_MS, () => now);
  });

  // The Postgres databases of this file's tests, dropped once they are all done.
  afterAll(dropFreshDatabases);

  afterEach(async () => {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('claims a new key, then replays the stored answer for the same request', async () => {
    expect(await keys.begin('t1', 'key-1', 'hash-a')).toEqual({ kind: 'new' });
    await keys.complete('t1', 'key-1', 202, '{"accepted":3}');
    expect(await keys.begin('t1', 'key-1', 'hash-a')).toEqual({ kind: 'replay', statusCode: 202, response: '{"accepted":3}' });
  });

  it('refuses the same key with a different request', async () => {
    await keys.begin('t1', 'key-1', 'hash-a');
    await keys.complete('t1', 'key-1', 202, '{}');
    expect(await keys.begin('t1', 'key-1', 'hash-b')).toEqual({ kind: 'conflict' });
  });

  it('scopes keys per tenant', async () => {
    await keys.begin('t1', 'shared', 'hash-a');
    await keys.complete('t1', 'shared', 202, '{}');
    expect(await keys.begin('t2', 'shared', 'hash-b')).toEqual({ kind: 'new' });
  });

  it('lets exactly one of two concurrent requests with one key run', async () => {
    const outcomes = await Promise.all([keys.begin('t1', 'race', 'hash-a'), keys.begin('t1', 'race', 'hash-a')]);
    expect(outcomes.map((outcome) => outcome.kind).sort()).toEqual(['in_progress', 'new']);
  });

  it('frees a key whose request failed unanswered, so a retry runs', async () => {
    await keys.begin('t1', 'key-1', 'hash-a');
    await keys.abandon('t1', 'key-1');
    expect(await keys.begin('t1', 'key-1', 'hash-a')).toEqual({ kind: 'new' });
  });

  it('forgets keys after the TTL', async () => {
    await keys.begin('t1', 'key-1', 'hash-a');
    await keys.complete('t1', 'key-1', 202, '{}');
    now += DAY_MS + 1;
    expect(await keys.begin('t1', 'key-1', 'hash-b')).toEqual({ kind: 'new' });
    await keys.complete('t1', 'key-1', 202, '{}');
    now += DAY_MS + 1;
    expect(await keys.purgeExpired()).toBe(1);
  });

  it('holds across a restart of the process (a reopened store)', async () => {
    await keys.begin('t1', 'key-1', 'hash-a');
    await keys.complete('t1', 'key-1', 207, '{"rejected":1}');
    await store.close();
    store = await SqlStore.open(config);
    keys = new IdempotencyStore(store, DAY_MS, () => now);
    expect(await keys.begin('t1', 'key-1', 'hash-a')).toEqual({ kind: 'replay', statusCode: 207, response: '{"rejected":1}' });
  });
});
