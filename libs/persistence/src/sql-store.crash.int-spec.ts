import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { spawnTypeScript, waitFor } from '@telemetry/testing';
import { ENRICHED_EVENTS_PROJECTION, EnrichedEventsProjection } from './enriched-events.projection';
import { EnrichedEventEntity } from './enriched-event.entity';
import { ProjectionOffsetEntity } from './projection-offset.entity';
import { EmbeddedStoreUnreadableError, SqlStore } from './sql-store';
import { CRASH_BATCH, CRASH_TOPIC, crashRecord } from './testing/crash-stream';

const CHILD = 'libs/persistence/src/testing/projection-writer.child.ts';

/** The offsets the child acknowledged so far (`committed <next>` lines). */
function acknowledged(output: string): number[] {
  return [...output.matchAll(/^committed (\d+)$/gm)].map((match) => Number(match[1]));
}

/** The stored next offset and what the rows say: how many, how many distinct offsets, lowest and highest. */
async function inspect(store: SqlStore) {
  const offset = await store.dataSource
    .getRepository(ProjectionOffsetEntity)
    .findOne({ where: { projection: ENRICHED_EVENTS_PROJECTION, topic: CRASH_TOPIC, partition: 0 } });
  const [rows] = await store.dataSource
    .getRepository(EnrichedEventEntity)
    .createQueryBuilder('event')
    .select('COUNT(*)', 'rows')
    .addSelect('COUNT(DISTINCT event.ts_ms)', 'offsets')
    .addSelect('MIN(event.ts_ms)', 'lowest')
    .addSelect('MAX(event.ts_ms)', 'highest')
    .getRawMany<{ rows: number; offsets: number; lowest: number | null; highest: number | null }>();
  return {
    next: offset ? Number(offset.nextOffset) : 0,
    rows: Number(rows.rows),
    offsets: Number(rows.offsets),
    // ts_ms = offset × 1000 (crashRecord)
    lowest: rows.lowest === null ? null : Number(rows.lowest) / 1000,
    highest: rows.highest === null ? null : Number(rows.highest) / 1000,
  };
}

/** Runs the writer in a child until it acknowledged `commits` more transactions, then SIGKILLs it. */
async function runAndKill(file: string, commits: number): Promise<{ resumedAt: number; lastAcknowledged: number }> {
  const child = spawnTypeScript(CHILD, { STORE_FILE: file });
  try {
    await waitFor(() => acknowledged(child.output()).length >= commits, {
      timeoutMs: 90_000,
      description: `the writer acknowledging ${commits} transactions (output: ${child.output().slice(-500)})`,
    });
  } finally {
    await child.kill();
  }
  const resumed = /^resuming (\d+)$/m.exec(child.output());
  const acks = acknowledged(child.output());
  return { resumedAt: Number(resumed?.[1]), lastAcknowledged: acks[acks.length - 1] };
}

describe('the embedded store across kill -9', () => {
  let dir: string;
  let file: string;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sql-store-crash-'));
    file = path.join(dir, 'telemetry.sqlite');
  });

  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('keeps every acknowledged transaction, rows and offset together, and resumes exactly at the stored offset', async () => {
    for (let round = 0, expectedStart = 0; round < 2; round++) {
      const { resumedAt, lastAcknowledged } = await runAndKill(file, 4);
      // The child started where the store said, and nothing it acknowledged is missing.
      expect(resumedAt).toBe(expectedStart);
      const store = await SqlStore.open({ kind: 'embedded', file });
      try {
        const state = await inspect(store);
        expect(state.next).toBeGreaterThanOrEqual(lastAcknowledged);
        expect(state.next % CRASH_BATCH).toBe(0);
        // Exactly the rows of offsets 0 … next-1: none missing, none twice, none of a torn transaction.
        expect(state).toEqual({ next: state.next, rows: state.next, offsets: state.next, lowest: 0, highest: state.next - 1 });
        expectedStart = state.next;
      } finally {
        await store.close();
      }
    }

    // A redelivery that overlaps the stored offset (the log's committed offset may lag it) applies only what is new.
    const store = await SqlStore.open({ kind: 'embedded', file });
    try {
      const { next } = await inspect(store);
      const redelivered = Array.from({ length: CRASH_BATCH }, (_, index) => crashRecord(next - 500 + index));
      expect(await new EnrichedEventsProjection(store).apply(CRASH_TOPIC, 0, redelivered)).toEqual({ applied: CRASH_BATCH - 500, skipped: 500, rejected: 0 });
      const after = await inspect(store);
      expect(after).toEqual({ next: next + 1_500, rows: next + 1_500, offsets: next + 1_500, lowest: 0, highest: next + 1_499 });
    } finally {
      await store.close();
    }
  });

  it('refuses to start on a file whose header is garbage, naming the file and what to do', async () => {
    const store = await SqlStore.open({ kind: 'embedded', file });
    await new EnrichedEventsProjection(store).apply(CRASH_TOPIC, 0, [crashRecord(0), crashRecord(1)]);
    await store.close();
    const handle = fs.openSync(file, 'r+');
    fs.writeSync(handle, Buffer.alloc(100, 0x5a), 0, 100, 0);
    fs.closeSync(handle);

    const opening = SqlStore.open({ kind: 'embedded', file });
    await expect(opening).rejects.toBeInstanceOf(EmbeddedStoreUnreadableError);
    await expect(opening).rejects.toMatchObject({ code: 'embedded_store_unreadable', retriable: false, file });
    const message = await opening.catch((error: Error) => error.message);
    expect(message).toContain(file);
    expect(message).toMatch(/file is not a database/);
    expect(message).toMatch(/delete .*telemetry\.sqlite.*rebuilt by replay from the log/s);
  });

  it('creates a new file with 16 KiB pages, WAL and synchronous=FULL, and opens a file made with 4 KiB pages as it is', async () => {
    const pragma = async (store: SqlStore, name: string) =>
      Number(Object.values(((await store.dataSource.query(`PRAGMA ${name}`)) as Array<Record<string, unknown>>)[0])[0]);
    const fresh = await SqlStore.open({ kind: 'embedded', file });
    try {
      expect(await pragma(fresh, 'page_size')).toBe(16_384);
      expect(await pragma(fresh, 'synchronous')).toBe(2);
      expect(await fresh.dataSource.query('PRAGMA journal_mode')).toEqual([{ journal_mode: 'wal' }]);
    } finally {
      await fresh.close();
    }

    // A store created before the change: an existing file keeps its page size, and its rows.
    const older = path.join(dir, 'older.sqlite');
    const database = new DatabaseSync(older);
    database.exec('PRAGMA page_size = 4096; PRAGMA journal_mode = WAL; CREATE TABLE kept (id integer)');
    database.close();
    const store = await SqlStore.open({ kind: 'embedded', file: older });
    try {
      expect(await pragma(store, 'page_size')).toBe(4_096);
      expect(await new EnrichedEventsProjection(store).apply(CRASH_TOPIC, 0, [crashRecord(0), crashRecord(1)])).toEqual({
        applied: 2,
        skipped: 0,
        rejected: 0,
      });
      expect(await inspect(store)).toEqual({ next: 2, rows: 2, offsets: 2, lowest: 0, highest: 1 });
    } finally {
      await store.close();
    }
  });

  it('refuses a file that is not SQLite at all', async () => {
    fs.writeFileSync(file, 'this is not a database, only text that happens to sit at the path\n'.repeat(200));
    await expect(SqlStore.open({ kind: 'embedded', file })).rejects.toThrow(`The embedded SQL store ${file} cannot be read`);
  });
});
