import { Inject, Injectable, Logger } from '@nestjs/common';
import { EVENT_LOG, EventLog, OutgoingRecord } from '@telemetry/event-log';
import { DeadLetterFilter, DeadLettersStore, SqlStore, SQL_STORE } from '@telemetry/persistence';
import { CLOCK } from '@telemetry/platform';
import { INGEST_REPLAY_TOPICS, replayTargetOf } from './dead-letter-replay.records';
import { SinkRetryProducer } from './sink-retry.producer';

/** Entries published (and then marked) per step: a failure midway leaves at most this many to replay twice. */
const ENTRIES_PER_STEP = 500;

export interface ReplayOutcome {
  readonly replayed: number;
  /** Entries that matched and are still dead (beyond the call's limit). */
  readonly remaining: number;
}

/**
 * Replays dead entries: oldest failure first, at most `limit` per call, publishing each step's
 * records before marking them replayed (at-least-once: a crash between the two replays a step
 * again; Elastic writes are idempotent by _id). Replays of one DLQ run one at a time in a process,
 * so two quick calls do not publish the same entries twice.
 */
@Injectable()
export class DeadLetterReplayService {
  private readonly logger = new Logger('dead-letters');
  private readonly entries: DeadLettersStore;
  private readonly running = new Map<string, Promise<unknown>>();

  constructor(
    @Inject(SQL_STORE) store: SqlStore,
    @Inject(EVENT_LOG) private readonly log: EventLog,
    @Inject(CLOCK) private readonly clock: () => Date,
    private readonly retries: SinkRetryProducer,
  ) {
    this.entries = new DeadLettersStore(store);
  }

  replay(filter: DeadLetterFilter, limit: number): Promise<ReplayOutcome> {
    const previous = this.running.get(filter.sink) ?? Promise.resolve();
    const run = previous.catch(() => undefined).then(() => this.replayNow(filter, limit));
    this.running.set(filter.sink, run);
    return run;
  }

  private async replayNow(filter: DeadLetterFilter, limit: number): Promise<ReplayOutcome> {
    // Ingest entries that do not come from an ingress topic cannot be replayed: they are not selected.
    const replayable = filter.sink === 'ingest' ? { ...filter, originalTopics: [...INGEST_REPLAY_TOPICS] } : filter;
    const { rows, total } = await this.entries.selectDead(replayable, limit);
    const now = this.clock().getTime();
    let replayed = 0;
    for (let start = 0; start < rows.length; start += ENTRIES_PER_STEP) {
      const byTopic = new Map<string, OutgoingRecord[]>();
      const ids: string[] = [];
      for (const row of rows.slice(start, start + ENTRIES_PER_STEP)) {
        const target = replayTargetOf(row, now);
        if (!target) continue;
        byTopic.set(target.topic, [...(byTopic.get(target.topic) ?? []), target.record]);
        ids.push(row.id);
      }
      for (const [topic, records] of byTopic) {
        if (filter.sink === 'ingest') await this.log.publish(topic, records);
        else await this.retries.publish(filter.sink, records);
      }
      replayed += await this.entries.markReplayed(ids, now);
    }
    if (replayed > 0) this.logger.log(`replayed ${replayed} ${filter.sink} dead letter(s)${filter.tenantId ? ` of tenant ${filter.tenantId}` : ''}`);
    return { replayed, remaining: Math.max(0, total - replayed) };
  }
}
