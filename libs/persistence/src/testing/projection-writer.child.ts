import 'reflect-metadata';
import { ENRICHED_EVENTS_PROJECTION, EnrichedEventsProjection } from '../enriched-events.projection';
import { ProjectionOffsetEntity } from '../projection-offset.entity';
import { SqlStore } from '../sql-store';
import { CRASH_BATCH, CRASH_TOPIC, crashRecord } from './crash-stream';

/**
 * A child process for the kill -9 spec (sql-store.crash.int-spec.ts): projects an endless stream
 * of enriched flows into the embedded store at STORE_FILE, from the offset the store says is next,
 * in the projection consumer's batch size, and prints `committed <nextOffset>` after each
 * transaction resolved, i.e. each acknowledgement the projection would give the log. It never
 * stops by itself: the spec SIGKILLs it.
 */
async function main(): Promise<void> {
  const file = process.env.STORE_FILE;
  if (!file) throw new Error('STORE_FILE is not set');
  const store = await SqlStore.open({ kind: 'embedded', file });
  const stored = await store.dataSource
    .getRepository(ProjectionOffsetEntity)
    .findOne({ where: { projection: ENRICHED_EVENTS_PROJECTION, topic: CRASH_TOPIC, partition: 0 } });
  let next = stored ? Number(stored.nextOffset) : 0;
  process.stdout.write(`resuming ${next}\n`);
  const projection = new EnrichedEventsProjection(store);
  for (;;) {
    const records = Array.from({ length: CRASH_BATCH }, (_, index) => crashRecord(next + index));
    await projection.apply(CRASH_TOPIC, 0, records);
    next += CRASH_BATCH;
    process.stdout.write(`committed ${next}\n`);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
