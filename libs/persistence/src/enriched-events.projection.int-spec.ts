import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DatabaseConfig } from '@telemetry/platform';
import type { LogRecord } from '@telemetry/event-log';
import { dropFreshDatabases, freshDatabase } from '@telemetry/testing';
import { EnrichedEventsProjection } from './enriched-events.projection';
import { EnrichedEventsQueries } from './enriched-events.queries';
import { ProjectionOffsetEntity } from './projection-offset.entity';
import { SqlStore } from './sql-store';

const TOPIC = 'telemetry.enriched.v1';
const DAY_MS = 24 * 60 * 60 * 1000;

function anEnrichedRecord(offset: number, overrides: { tenant?: string; receivedAt?: string; partition?: number } = {}): LogRecord {
  const flow = {
    schema_version: 1,
    event_id: `event-${overrides.partition ?? 0}-${offset}`,
    tenant_id: overrides.tenant ?? 'tenant-a',
    ts: 1732288800 + offset,
    src_ip: '10.0.0.1',
    dst_ip: `198.51.100.${offset % 250}`,
    risk_score: offset % 101,
    ingest: { received_at: overrides.receivedAt ?? new Date(1_767_000_000_000 + offset * 1000).toISOString() },
  };
  return {
    topic: TOPIC,
    partition: overrides.partition ?? 0,
    offset: String(offset),
    key: null,
    value: Buffer.from(JSON.stringify(flow)),
    headers: {},
    timestamp: Date.now(),
  };
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, index) => from + index);

// The same projection against the real Postgres (distributed mode) and the embedded node:sqlite store.
describe.each(['postgres', 'embedded'] as const)('EnrichedEventsProjection on %s', (kind) => {
  let config: DatabaseConfig;
  let store: SqlStore;
  let dir: string;
  const now = 1_767_000_500_000;

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'projection-'));
    config = kind === 'postgres' ? { kind, url: await freshDatabase('projection') } : { kind, file: path.join(dir, 'store.sqlite') };
    store = await SqlStore.open(config);
  });

  // The Postgres databases of this file's tests, dropped once they are all done.
  afterAll(dropFreshDatabases);

  afterEach(async () => {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('writes one row per enriched flow and the next offset in the same transaction', async () => {
    const projection = new EnrichedEventsProjection(store, () => now);
    const result = await projection.apply(
      TOPIC,
      0,
      range(0, 1500).map((offset) => anEnrichedRecord(offset)),
    );
    expect(result).toEqual({ applied: 1500, skipped: 0, rejected: 0 });
    const queries = new EnrichedEventsQueries(store);
    expect(await queries.count('tenant-a')).toBe(1500);
    const offsets = await store.dataSource.getRepository(ProjectionOffsetEntity).find();
    expect(offsets).toEqual([{ projection: 'enriched-events', topic: TOPIC, partition: 0, nextOffset: '1500' }]);
  });

  it('is idempotent under redelivery: records below the stored offset are skipped, rows are not duplicated', async () => {
    const projection = new EnrichedEventsProjection(store, () => now);
    await projection.apply(
      TOPIC,
      0,
      range(0, 100).map((offset) => anEnrichedRecord(offset)),
    );
    const again = await projection.apply(
      TOPIC,
      0,
      range(50, 150).map((offset) => anEnrichedRecord(offset)),
    );
    expect(again).toEqual({ applied: 50, skipped: 50, rejected: 0 });
    expect(await new EnrichedEventsQueries(store).count()).toBe(150);
  });

  it("serves the newest flows of one tenant first and never another tenant's", async () => {
    const projection = new EnrichedEventsProjection(store, () => now);
    await projection.apply(
      TOPIC,
      0,
      range(0, 10).map((offset) => anEnrichedRecord(offset)),
    );
    await projection.apply(TOPIC, 1, [anEnrichedRecord(0, { tenant: 'tenant-b', partition: 1 })]);
    const newest = (await new EnrichedEventsQueries(store).newest('tenant-a', 3)).map((payload) => JSON.parse(payload).event_id);
    expect(newest).toEqual(['event-0-9', 'event-0-8', 'event-0-7']);
    const other = await new EnrichedEventsQueries(store).newest('tenant-b', 10);
    expect(other.map((payload) => JSON.parse(payload).tenant_id)).toEqual(['tenant-b']);
  });

  it('deletes flows accepted longer ago than the retention', async () => {
    const projection = new EnrichedEventsProjection(store, () => now);
    const old = new Date(now - 8 * DAY_MS).toISOString();
    const recent = new Date(now - 1 * DAY_MS).toISOString();
    await projection.apply(TOPIC, 0, [anEnrichedRecord(0, { receivedAt: old }), anEnrichedRecord(1, { receivedAt: recent })]);
    expect(await projection.enforceRetention({ defaultDays: 7, tenants: new Map() })).toEqual({ deleted: 1, byTenant: { '*': 1 } });
    const left = await new EnrichedEventsQueries(store).newest('tenant-a', 10);
    expect(left.map((payload) => JSON.parse(payload).event_id)).toEqual(['event-0-1']);
  });

  it("keeps each tenant's rows for its own retention_days, deleting in bounded batches", async () => {
    const projection = new EnrichedEventsProjection(store, () => now);
    const daysAgo = (days: number) => new Date(now - days * DAY_MS).toISOString();
    // tenant-a keeps 30 days, tenant-b 2, everyone else the default 7.
    const rows = [
      ...range(0, 7).map((offset) => anEnrichedRecord(offset, { receivedAt: daysAgo(10) })),
      anEnrichedRecord(7, { receivedAt: daysAgo(40) }),
      ...range(0, 3).map((offset) => anEnrichedRecord(offset, { tenant: 'tenant-b', partition: 1, receivedAt: daysAgo(3) })),
      anEnrichedRecord(3, { tenant: 'tenant-b', partition: 1, receivedAt: daysAgo(1) }),
      anEnrichedRecord(0, { tenant: 'tenant-c', partition: 2, receivedAt: daysAgo(8) }),
      anEnrichedRecord(1, { tenant: 'tenant-c', partition: 2, receivedAt: daysAgo(6) }),
    ];
    await projection.apply(TOPIC, 0, rows.slice(0, 8));
    await projection.apply(TOPIC, 1, rows.slice(8, 12));
    await projection.apply(TOPIC, 2, rows.slice(12));
    const report = await projection.enforceRetention(
      {
        defaultDays: 7,
        tenants: new Map([
          ['tenant-a', 30],
          ['tenant-b', 2],
          ['tenant-c', 7],
        ]),
      },
      2,
    );
    expect(report).toEqual({ deleted: 5, byTenant: { 'tenant-a': 1, 'tenant-b': 3, '*': 1 } });
    const queries = new EnrichedEventsQueries(store);
    expect(await queries.newest('tenant-a', 100)).toHaveLength(7);
    expect((await queries.newest('tenant-b', 100)).map((payload) => JSON.parse(payload).event_id)).toEqual(['event-1-3']);
    expect((await queries.newest('tenant-c', 100)).map((payload) => JSON.parse(payload).event_id)).toEqual(['event-2-1']);
  });

  it('keeps rows and offsets across a reopen, and a rebuild by replay from zero gives the same rows', async () => {
    const records = range(0, 300).map((offset) => anEnrichedRecord(offset));
    await new EnrichedEventsProjection(store, () => now).apply(TOPIC, 0, records);
    await store.close();
    store = await SqlStore.open(config);
    expect(await new EnrichedEventsQueries(store).count()).toBe(300);
    const redelivered = await new EnrichedEventsProjection(store, () => now).apply(TOPIC, 0, records.slice(200));
    expect(redelivered).toEqual({ applied: 0, skipped: 100, rejected: 0 });

    const rebuiltConfig: DatabaseConfig =
      kind === 'postgres' ? { kind, url: await freshDatabase('rebuild') } : { kind, file: path.join(dir, 'rebuilt.sqlite') };
    const rebuilt = await SqlStore.open(rebuiltConfig);
    try {
      await new EnrichedEventsProjection(rebuilt, () => now).apply(TOPIC, 0, records);
      expect(await new EnrichedEventsQueries(rebuilt).newest('tenant-a', 500)).toEqual(await new EnrichedEventsQueries(store).newest('tenant-a', 500));
    } finally {
      await rebuilt.close();
    }
  });

  it('rejects what no row can hold, with the reason, and writes the rest: one bad record never stops the read model', async () => {
    const notJson: LogRecord = { ...anEnrichedRecord(1), value: Buffer.from('not json') };
    const longTenant = anEnrichedRecord(2, { tenant: 't'.repeat(200) });
    const nul: LogRecord = { ...anEnrichedRecord(3), value: Buffer.from(anEnrichedRecord(3).value.toString().replace('10.0.0.1', '10.0.0.1\u0000')) };
    const seen: Array<{ offset: string; code: string; reason: string }> = [];
    const result = await new EnrichedEventsProjection(store, () => now).apply(
      TOPIC,
      0,
      [anEnrichedRecord(0), notJson, longTenant, nul, anEnrichedRecord(4)],
      async (rejected) => {
        seen.push(...rejected.map(({ record, code, reason }) => ({ offset: record.offset, code, reason })));
      },
    );
    expect(result).toEqual({ applied: 2, skipped: 0, rejected: 3 });
    expect(seen).toEqual([
      { offset: '1', code: 'unprojectable_record', reason: expect.stringContaining('not JSON') },
      { offset: '2', code: 'unprojectable_record', reason: "tenantId is 200 characters, over the column's 128" },
      { offset: '3', code: 'unprojectable_record', reason: expect.stringContaining('NUL') },
    ]);
    expect(await new EnrichedEventsQueries(store).count('tenant-a')).toBe(2);
    expect((await store.dataSource.getRepository(ProjectionOffsetEntity).findOneByOrFail({ topic: TOPIC, partition: 0 })).nextOffset).toBe('5');
  });

  it('finds a row the database refuses, one row at a time, rejects it with the reason and writes the rest', async () => {
    // A rule of the database the projection does not know: a CHECK in Postgres, a trigger in SQLite.
    if (kind === 'postgres') await store.dataSource.query("ALTER TABLE enriched_events ADD CONSTRAINT no_six CHECK (dst_ip <> '198.51.100.6')");
    else
      await store.dataSource.query(
        "CREATE TRIGGER no_six BEFORE INSERT ON enriched_events WHEN NEW.dst_ip = '198.51.100.6' BEGIN SELECT RAISE(ABORT, 'no six'); END",
      );
    const seen: Array<{ offset: string; reason: string }> = [];
    const result = await new EnrichedEventsProjection(store, () => now).apply(
      TOPIC,
      0,
      range(0, 10).map((offset) => anEnrichedRecord(offset)),
      async (rejected) => {
        seen.push(...rejected.map(({ record, reason }) => ({ offset: record.offset, reason })));
      },
    );
    expect(result).toEqual({ applied: 9, skipped: 0, rejected: 1 });
    expect(seen).toEqual([{ offset: '6', reason: expect.stringContaining('the database refused the row') }]);
    expect(await new EnrichedEventsQueries(store).count('tenant-a')).toBe(9);
    expect((await store.dataSource.getRepository(ProjectionOffsetEntity).findOneByOrFail({ topic: TOPIC, partition: 0 })).nextOffset).toBe('10');
  });

  it('writes nothing and keeps its offset when onRejected throws, so the batch is redelivered', async () => {
    const longTenant = anEnrichedRecord(1, { tenant: 't'.repeat(200) });
    const projection = new EnrichedEventsProjection(store, () => now);
    await expect(
      projection.apply(TOPIC, 0, [anEnrichedRecord(0), longTenant], async () => {
        throw new Error('the dead-letter topic is unavailable');
      }),
    ).rejects.toThrow('the dead-letter topic is unavailable');
    expect(await new EnrichedEventsQueries(store).count('tenant-a')).toBe(0);
    expect(await store.dataSource.getRepository(ProjectionOffsetEntity).findOneBy({ topic: TOPIC, partition: 0 })).toBeNull();
  });

  it('reads the columns from the enriched headers when a record has them, the same row as from its JSON', async () => {
    const fromValue = anEnrichedRecord(7);
    const flow = JSON.parse(fromValue.value.toString()) as {
      event_id: string;
      ts: number;
      src_ip: string;
      dst_ip: string;
      risk_score: number;
      ingest: { received_at: string };
    };
    const headers = {
      'tenant-id': 'tenant-a',
      'event-id': flow.event_id,
      'ts-ms': String(flow.ts * 1000),
      'src-ip': flow.src_ip,
      'dst-ip': flow.dst_ip,
      'risk-score': String(flow.risk_score),
      'received-at': flow.ingest.received_at,
    };
    // The value differs only where the headers must win: a row built from the value would not match.
    const fromHeaders: LogRecord = { ...anEnrichedRecord(7, { partition: 1 }), headers };
    const projection = new EnrichedEventsProjection(store, () => now);
    await projection.apply(TOPIC, 0, [fromValue]);
    await projection.apply(TOPIC, 1, [{ ...fromHeaders, value: Buffer.from(JSON.stringify({ ...flow, event_id: 'other' })) }]);
    const rows = await store.dataSource.query(
      'SELECT event_id, tenant_id, ts_ms, ingested_ms, src_ip, dst_ip, risk_score FROM enriched_events ORDER BY event_id',
    );
    expect(rows).toHaveLength(1);
    // Malformed headers fall back to the value.
    await projection.apply(TOPIC, 2, [{ ...anEnrichedRecord(8), partition: 2, headers: { ...headers, 'risk-score': 'high' } }]);
    expect(await new EnrichedEventsQueries(store).count('tenant-a')).toBe(2);
  });
});
