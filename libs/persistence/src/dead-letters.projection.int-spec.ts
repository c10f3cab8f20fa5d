import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DEAD_LETTER_HEADERS, HEADERS } from '@telemetry/contracts';
import { DatabaseConfig } from '@telemetry/platform';
import type { LogRecord } from '@telemetry/event-log';
import { dropFreshDatabases, freshDatabase } from '@telemetry/testing';
import { DeadLettersProjection } from './dead-letters.projection';
import { DeadLettersStore } from './dead-letters.store';
import { ProjectionOffsetEntity } from './projection-offset.entity';
import { SqlStore } from './sql-store';

const SPLUNK_DLQ = 'telemetry.sink.splunk.dlq.v1';
const INGEST_DLQ = 'telemetry.ingest.dlq.v1';
const BASE_MS = 1_767_000_000_000;
const DAY_MS = 24 * 60 * 60 * 1000;

function aSinkDeadLetter(offset: number, overrides: { tenant?: string; errorClass?: string; timestamp?: number } = {}): LogRecord {
  return {
    topic: SPLUNK_DLQ,
    partition: 0,
    offset: String(offset),
    key: Buffer.from(`t:${offset}`),
    value: Buffer.from(JSON.stringify({ event_id: `event-${offset}`, tenant_id: overrides.tenant ?? 'tenant-a' })),
    // Two records per millisecond: pages must not lose or repeat entries that tie on failed_at.
    timestamp: overrides.timestamp ?? BASE_MS + Math.floor(offset / 2),
    headers: {
      [HEADERS.tenantId]: overrides.tenant ?? 'tenant-a',
      [DEAD_LETTER_HEADERS.originalTopic]: 'telemetry.enriched.v1',
      [DEAD_LETTER_HEADERS.originalPartition]: '1',
      [DEAD_LETTER_HEADERS.originalOffset]: String(1000 + offset),
      [DEAD_LETTER_HEADERS.attempt]: '1',
      [DEAD_LETTER_HEADERS.failedAt]: new Date(BASE_MS).toISOString(),
      [DEAD_LETTER_HEADERS.code]: overrides.errorClass ?? 'hec_code_6',
      [DEAD_LETTER_HEADERS.reason]: 'Invalid data format (event 0 of the request)',
    },
  };
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, index) => from + index);

describe.each(['postgres', 'embedded'] as const)('DeadLettersProjection on %s', (kind) => {
  let config: DatabaseConfig;
  let store: SqlStore;
  let dir: string;
  const now = BASE_MS + DAY_MS;

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dead-letters-'));
    config = kind === 'postgres' ? { kind, url: await freshDatabase('deadletters') } : { kind, file: path.join(dir, 'store.sqlite') };
    store = await SqlStore.open(config);
  });

  // The Postgres databases of this file's tests, dropped once they are all done.
  afterAll(dropFreshDatabases);

  afterEach(async () => {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('writes one row per DLQ record and the next offset in the same transaction', async () => {
    const result = await new DeadLettersProjection(store, () => now).apply(
      SPLUNK_DLQ,
      0,
      range(0, 1200).map((offset) => aSinkDeadLetter(offset)),
    );
    expect(result).toEqual({ applied: 1200, skipped: 0 });
    expect(await new DeadLettersStore(store).count({ sink: 'splunk', tenantId: 'tenant-a' })).toBe(1200);
    const offsets = await store.dataSource.getRepository(ProjectionOffsetEntity).find();
    expect(offsets).toEqual([{ projection: 'dead-letters', topic: SPLUNK_DLQ, partition: 0, nextOffset: '1200' }]);
  });

  it('is idempotent under redelivery, and a redelivered record keeps the state an operator gave it', async () => {
    const projection = new DeadLettersProjection(store, () => now);
    const entries = new DeadLettersStore(store);
    await projection.apply(
      SPLUNK_DLQ,
      0,
      range(0, 10).map((offset) => aSinkDeadLetter(offset)),
    );
    expect(await entries.markReplayed([`${SPLUNK_DLQ}/0/3`], now)).toBe(1);
    // Rewind the stored offset, as a rebuilt consumer group would deliver again.
    await store.transaction((manager) =>
      manager.update(ProjectionOffsetEntity, { projection: 'dead-letters', topic: SPLUNK_DLQ, partition: 0 }, { nextOffset: '0' }),
    );
    expect(
      await projection.apply(
        SPLUNK_DLQ,
        0,
        range(0, 12).map((offset) => aSinkDeadLetter(offset)),
      ),
    ).toEqual({ applied: 12, skipped: 0 });
    expect(await entries.count({ sink: 'splunk' })).toBe(12);
    expect(await entries.get('splunk', `${SPLUNK_DLQ}/0/3`)).toMatchObject({ state: 'replayed', replayedAt: expect.anything() });
    expect(
      await projection.apply(
        SPLUNK_DLQ,
        0,
        range(5, 12).map((offset) => aSinkDeadLetter(offset)),
      ),
    ).toEqual({ applied: 0, skipped: 7 });
  });

  it('pages newest first with a cursor: every entry exactly once, ties on failed_at included', async () => {
    await new DeadLettersProjection(store, () => now).apply(
      SPLUNK_DLQ,
      0,
      range(0, 25).map((offset) => aSinkDeadLetter(offset)),
    );
    const entries = new DeadLettersStore(store);
    const seen: string[] = [];
    let page = await entries.list({ sink: 'splunk', tenantId: 'tenant-a' }, 7);
    expect(page.total).toBe(25);
    seen.push(...page.rows.map((row) => row.id));
    while (page.next) {
      page = await entries.list({ sink: 'splunk', tenantId: 'tenant-a' }, 7, page.next);
      seen.push(...page.rows.map((row) => row.id));
    }
    expect(seen).toHaveLength(25);
    expect(new Set(seen).size).toBe(25);
    expect(seen[0]).toBe(`${SPLUNK_DLQ}/0/24`);
    const failedAt = (await Promise.all(seen.map((id) => entries.get('splunk', id)))).map((row) => Number(row!.failedAt));
    expect(failedAt).toEqual([...failedAt].sort((a, b) => b - a));
  });

  it('scopes by tenant and error class, and never mixes DLQs', async () => {
    const projection = new DeadLettersProjection(store, () => now);
    await projection.apply(SPLUNK_DLQ, 0, [aSinkDeadLetter(0), aSinkDeadLetter(1, { tenant: 'tenant-b' }), aSinkDeadLetter(2, { errorClass: 'http_400' })]);
    await projection.apply(INGEST_DLQ, 0, [
      {
        topic: INGEST_DLQ,
        partition: 0,
        offset: '0',
        key: null,
        value: Buffer.from('nope'),
        timestamp: BASE_MS,
        headers: { [HEADERS.tenantId]: 'tenant-a', [DEAD_LETTER_HEADERS.code]: 'invalid_json' },
      },
    ]);
    const entries = new DeadLettersStore(store);
    expect((await entries.list({ sink: 'splunk', tenantId: 'tenant-a' }, 50)).rows.map((row) => row.id)).toEqual([`${SPLUNK_DLQ}/0/2`, `${SPLUNK_DLQ}/0/0`]);
    expect((await entries.list({ sink: 'splunk' }, 50)).total).toBe(3);
    expect((await entries.list({ sink: 'splunk', errorClass: 'http_400' }, 50)).rows.map((row) => row.id)).toEqual([`${SPLUNK_DLQ}/0/2`]);
    expect(await entries.get('splunk', `${SPLUNK_DLQ}/0/1`, 'tenant-a')).toBeUndefined();
    expect(await entries.get('elastic', `${SPLUNK_DLQ}/0/0`)).toBeUndefined();
    expect((await entries.list({ sink: 'ingest', tenantId: 'tenant-a' }, 50)).rows).toMatchObject([{ errorClass: 'invalid_json', payload: 'nope' }]);
    expect((await entries.selectDead({ sink: 'splunk', originalTopics: ['telemetry.enriched.v1'] }, 50)).total).toBe(3);
    expect((await entries.selectDead({ sink: 'ingest', originalTopics: ['telemetry.ingest.flows.v1'] }, 50)).total).toBe(0);
  });

  it('selects dead entries oldest first up to a limit, and purged entries disappear', async () => {
    await new DeadLettersProjection(store, () => now).apply(
      SPLUNK_DLQ,
      0,
      range(0, 10).map((offset) => aSinkDeadLetter(offset, { errorClass: offset < 6 ? 'hec_code_6' : 'http_400' })),
    );
    const entries = new DeadLettersStore(store);
    const first = await entries.selectDead({ sink: 'splunk', errorClass: 'hec_code_6' }, 4);
    expect(first.total).toBe(6);
    expect(first.rows.map((row) => row.id)).toEqual(range(0, 4).map((offset) => `${SPLUNK_DLQ}/0/${offset}`));
    expect(
      await entries.markReplayed(
        first.rows.map((row) => row.id),
        now,
      ),
    ).toBe(4);
    expect(
      await entries.markReplayed(
        first.rows.map((row) => row.id),
        now,
      ),
    ).toBe(0);
    expect((await entries.selectDead({ sink: 'splunk', errorClass: 'hec_code_6' }, 4)).rows.map((row) => row.id)).toEqual([
      `${SPLUNK_DLQ}/0/4`,
      `${SPLUNK_DLQ}/0/5`,
    ]);

    expect(await entries.purge({ sink: 'splunk', errorClass: 'http_400' })).toBe(4);
    expect(await entries.purge({ sink: 'splunk', ids: [`${SPLUNK_DLQ}/0/0`, `${SPLUNK_DLQ}/0/99`] })).toBe(1);
    expect(await entries.get('splunk', `${SPLUNK_DLQ}/0/0`)).toBeUndefined();
    expect((await entries.list({ sink: 'splunk' }, 50)).total).toBe(5);
    expect((await entries.selectDead({ sink: 'splunk' }, 50)).rows.map((row) => row.id)).toEqual([`${SPLUNK_DLQ}/0/4`, `${SPLUNK_DLQ}/0/5`]);
    expect((await entries.list({ sink: 'splunk', state: 'replayed' }, 50)).total).toBe(3);
  });

  it('stores a binary payload and long text faithfully', async () => {
    const datagram = Buffer.from([0x00, 0x09, 0xff, 0xfe, 0x80, 0x01]);
    const message = 'é'.repeat(1_000);
    await new DeadLettersProjection(store, () => now).apply(INGEST_DLQ, 0, [
      { topic: INGEST_DLQ, partition: 0, offset: '4', key: null, value: datagram, timestamp: BASE_MS, headers: { [DEAD_LETTER_HEADERS.reason]: message } },
    ]);
    const row = await new DeadLettersStore(store).get('ingest', `${INGEST_DLQ}/0/4`);
    expect(Buffer.from(row!.payload, 'base64')).toEqual(datagram);
    expect(row!.errorMessage).toBe(message);
    expect(row!.tenantId).toBe('default');
  });

  it('deletes entries older than the retention', async () => {
    const projection = new DeadLettersProjection(store, () => now);
    await projection.apply(SPLUNK_DLQ, 0, [aSinkDeadLetter(0, { timestamp: now - 31 * DAY_MS }), aSinkDeadLetter(1, { timestamp: now - DAY_MS })]);
    expect(await projection.enforceRetention(30 * DAY_MS)).toBe(1);
    expect((await new DeadLettersStore(store).list({ sink: 'splunk' }, 10)).rows.map((row) => row.id)).toEqual([`${SPLUNK_DLQ}/0/1`]);
  });

  it('keeps rows and offsets across a reopen, and a rebuild by replay from zero gives the same rows', async () => {
    const records = range(0, 40).map((offset) => aSinkDeadLetter(offset));
    await new DeadLettersProjection(store, () => now).apply(SPLUNK_DLQ, 0, records);
    await store.close();
    store = await SqlStore.open(config);
    expect(await new DeadLettersProjection(store, () => now).apply(SPLUNK_DLQ, 0, records.slice(30))).toEqual({ applied: 0, skipped: 10 });
    const rebuiltConfig: DatabaseConfig =
      kind === 'postgres' ? { kind, url: await freshDatabase('dlqrebuild') } : { kind, file: path.join(dir, 'rebuilt.sqlite') };
    const rebuilt = await SqlStore.open(rebuiltConfig);
    try {
      await new DeadLettersProjection(rebuilt, () => now).apply(SPLUNK_DLQ, 0, records);
      const all = async (s: SqlStore) =>
        (await new DeadLettersStore(s).list({ sink: 'splunk' }, 100)).rows.map((row) => ({
          ...row,
          failedAt: String(row.failedAt),
          firstFailureAt: String(row.firstFailureAt),
        }));
      expect(await all(rebuilt)).toEqual(await all(store));
    } finally {
      await rebuilt.close();
    }
  });
});
