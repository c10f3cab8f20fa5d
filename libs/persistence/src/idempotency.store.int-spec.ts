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

  it('keeps a partly written batch claimed with its progress: the retry resumes after it, then replays once complete', async () => {
    expect(await keys.begin('t1', 'big', 'hash-a')).toEqual({ kind: 'new' });
    await keys.recordProgress('t1', 'big', 3_000);
    await keys.abandon('t1', 'big', 4_000);
    expect(await keys.begin('t1', 'big', 'hash-b')).toEqual({ kind: 'conflict' });
    expect(await keys.begin('t1', 'big', 'hash-a')).toEqual({ kind: 'resume', writtenRecords: 4_000 });
    // Claimed again: a concurrent request with the key waits, as with a first request.
    expect(await keys.begin('t1', 'big', 'hash-a')).toEqual({ kind: 'in_progress' });
    await keys.complete('t1', 'big', 202, '{"accepted":10000}');
    expect(await keys.begin('t1', 'big', 'hash-a')).toEqual({ kind: 'replay', statusCode: 202, response: '{"accepted":10000}' });
  });

  it('never loses progress: a resumed request that fails before writing more leaves the count as it was', async () => {
    await keys.begin('t1', 'big', 'hash-a');
    await keys.abandon('t1', 'big', 2_500);
    expect(await keys.begin('t1', 'big', 'hash-a')).toEqual({ kind: 'resume', writtenRecords: 2_500 });
    await keys.abandon('t1', 'big');
    expect(await keys.begin('t1', 'big', 'hash-a')).toEqual({ kind: 'resume', writtenRecords: 2_500 });
    // A smaller count never moves it back.
    await keys.recordProgress('t1', 'big', 1_000);
    await keys.abandon('t1', 'big', 1_000);
    expect(await keys.begin('t1', 'big', 'hash-a')).toEqual({ kind: 'resume', writtenRecords: 2_500 });
  });

  it('lets exactly one of two concurrent retries of a partial batch resume it', async () => {
    await keys.begin('t1', 'race', 'hash-a');
    await keys.abandon('t1', 'race', 100);
    const outcomes = await Promise.all([keys.begin('t1', 'race', 'hash-a'), keys.begin('t1', 'race', 'hash-a')]);
    expect(outcomes.map((outcome) => outcome.kind).sort()).toEqual(['in_progress', 'resume']);
  });

  it('takes over the claim of a crashed request with the progress it recorded', async () => {
    await keys.begin('t1', 'crash', 'hash-a');
    await keys.recordProgress('t1', 'crash', 7_000);
    expect(await keys.begin('t1', 'crash', 'hash-a')).toEqual({ kind: 'in_progress' });
    now += 2 * 60 * 1000 + 1;
    expect(await keys.begin('t1', 'crash', 'hash-a')).toEqual({ kind: 'resume', writtenRecords: 7_000 });
  });

  it('forgets a partial batch after the TTL like any key', async () => {
    await keys.begin('t1', 'old', 'hash-a');
    await keys.abandon('t1', 'old', 10);
    now += DAY_MS + 1;
    expect(await keys.purgeExpired()).toBe(1);
    expect(await keys.begin('t1', 'old', 'hash-a')).toEqual({ kind: 'new' });
  });

  it('keeps a partial batch across a restart of the process (a reopened store)', async () => {
    await keys.begin('t1', 'big', 'hash-a');
    await keys.abandon('t1', 'big', 42);
    await store.close();
    store = await SqlStore.open(config);
    keys = new IdempotencyStore(store, DAY_MS, () => now);
    expect(await keys.begin('t1', 'big', 'hash-a')).toEqual({ kind: 'resume', writtenRecords: 42 });
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
