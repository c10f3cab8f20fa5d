import type { BatchHandler, Subscription, SubscriptionState, SubscriptionStatus } from '../event-log.port';
import type { WakeSignal } from './append.notifier';
import type { EmbeddedEventLogLogger } from './embedded-event-log.types';
import type { PartitionLog, PartitionRead } from './partition-log.store';

const INITIAL_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 5_000;
/**
 * Bytes read for one batch at most (a single larger record is still delivered alone). A message may be
 * a frame of a thousand records, so this, not the record count, bounds a handler call: 2 MiB is ~8,000
 * ingress records, well under a second of the enricher, which shares the all-in-one's event loop with
 * the HTTP server (16 MiB of frames was ~60,000 records, seconds of stalled requests).
 */
const MAX_BATCH_BYTES = 2 * 1024 * 1024;

/** What the delivery loop needs of a partition (the embedded PartitionLog, or an in-memory one). */
export type ConsumablePartition = Pick<PartitionLog, 'topic' | 'partition' | 'startOffset' | 'endOffset' | 'read'>;

export interface GroupSubscriptionParams {
  /** Names the consumer in log lines: `group <id>` or `tail`. */
  readonly name: string;
  readonly partitions: readonly ConsumablePartition[];
  /** Next offset to read per partition, in the order of `partitions`. */
  readonly positions: readonly number[];
  readonly maxBatchRecords: number;
  readonly handler: BatchHandler;
  /**
   * Records that the handler is done with everything below `nextOffset` (a group persists it; a
   * tail only notes its progress). Resolves before the next batch of the partition is read.
   */
  readonly commit: (topic: string, partition: number, nextOffset: number) => Promise<void>;
  readonly signal: WakeSignal;
  readonly logger: EmbeddedEventLogLogger;
  readonly onClosed: () => void;
}

/**
 * The delivery loop of one consumer group: batches from its partitions in turn, one handler call
 * at a time, committing the offset after each batch only once the handler resolved. A failed batch
 * is redelivered after a backoff of 100 ms doubling up to 5 s. Sleeps on the signal when idle.
 * A groupless tail runs the same loop with a `commit` that only records its progress.
 */
export class GroupSubscriptionConsumer implements Subscription {
  private readonly positions: number[];
  /**
   * Per partition: not offered again before this time (a handler asked to be offered the rest
   * later); 0 when the partition is not paused. Cleared when the partition is offered again, so a
   * non-zero entry always means "records are waiting for this time".
   */
  private readonly notBefore: number[];
  private closing = false;
  private running?: Promise<void>;
  private cancelBackoff?: () => void;
  private current: SubscriptionStatus = { state: 'consuming', sinceMs: Date.now() };

  constructor(private readonly params: GroupSubscriptionParams) {
    this.positions = [...params.positions];
    this.notBefore = params.positions.map(() => 0);
  }

  start(): void {
    this.running = this.run().finally(() => {
      this.enter('closed');
      this.params.onClosed();
    });
  }

  status(): SubscriptionStatus {
    return this.current;
  }

  async close(): Promise<void> {
    this.closing = true;
    this.enter('closed');
    this.params.signal.notify();
    this.cancelBackoff?.();
    await this.running;
  }

  private async run(): Promise<void> {
    const { partitions, signal } = this.params;
    let next = 0;
    while (!this.closing) {
      signal.reset();
      let delivered = false;
      const now = Date.now();
      for (let k = 0; k < partitions.length && !this.closing; k++) {
        const i = (next + k) % partitions.length;
        if (this.notBefore[i] > now) continue;
        this.notBefore[i] = 0;
        const outcome = await this.deliverNextBatch(i);
        if (outcome === 'closed') return;
        if (outcome === 'delivered') {
          // Resume with the next partition so one busy partition cannot starve the others.
          next = i + 1;
          delivered = true;
          break;
        }
      }
      if (!delivered && !this.closing) await this.idle();
    }
  }

  /**
   * Sleeps until an append, or until the earliest paused partition is due again. Every paused
   * partition counts, including one that came due after the scan captured its `now` (while other
   * partitions were handled): it makes the timer fire at once instead of being left to the next
   * append, which on a quiet topic may never come.
   */
  private async idle(): Promise<void> {
    const due = Math.min(...this.notBefore.filter((at) => at > 0));
    if (!Number.isFinite(due)) return this.params.signal.wait();
    if (due <= Date.now()) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.params.signal.wait(),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, Math.max(0, due - Date.now()));
      }),
    ]);
    clearTimeout(timer);
  }

  private async deliverNextBatch(i: number): Promise<'empty' | 'delivered' | 'closed'> {
    const { name, handler, commit, logger, maxBatchRecords } = this.params;
    const partition = this.params.partitions[i];
    // Retention may have deleted records the group never read; continue at the oldest kept one.
    const position = Math.max(this.positions[i], partition.startOffset);
    if (position >= partition.endOffset) return 'empty';
    // Read once: a retry redelivers exactly the same batch, not whatever is there by then.
    let read: PartitionRead | undefined;
    for (let attempt = 0; ; attempt++) {
      try {
        read ??= await partition.read(position, maxBatchRecords, MAX_BATCH_BYTES);
        const { records } = read;
        if (records.length === 0) {
          if (read.nextOffset <= position) return 'empty';
          // Only damaged frames (already reported): move past them.
          await commit(partition.topic, partition.partition, read.nextOffset);
          this.positions[i] = read.nextOffset;
          return 'delivered';
        }
        const result = await handler({ topic: partition.topic, partition: partition.partition, records });
        if (this.current.state === 'retrying') this.enter('consuming');
        const consumed = result ? Math.max(0, Math.min(result.consumed, records.length)) : records.length;
        if (consumed > 0) {
          // Offsets may have gaps where damaged frames were left out: the next offset is that of the
          // first record not consumed, or the end of what was read.
          const nextOffset = consumed < records.length ? Number(records[consumed].offset) : read.nextOffset;
          await commit(partition.topic, partition.partition, nextOffset);
          this.positions[i] = nextOffset;
        }
        if (consumed < records.length) {
          // The rest waits until the time the handler named; the other partitions go on.
          this.notBefore[i] = result?.retryAtMs ?? Date.now() + INITIAL_BACKOFF_MS;
          return consumed > 0 ? 'delivered' : 'empty';
        }
        return 'delivered';
      } catch (error) {
        const delay = Math.min(INITIAL_BACKOFF_MS * 2 ** attempt, MAX_BACKOFF_MS);
        if (!this.closing) this.enter('retrying', errorMessage(error));
        logger.warn(
          `event log ${name}: batch ${partition.topic}-${partition.partition}@${position} failed ` +
            `(attempt ${attempt + 1}), redelivering in ${delay} ms: ${errorMessage(error)}`,
        );
        if (this.closing) return 'closed';
        await this.backoff(delay);
        if (this.closing) return 'closed';
      }
    }
  }

  private enter(state: SubscriptionState, lastError?: string): void {
    if (this.current.state === 'closed') return;
    if (state === this.current.state && lastError === this.current.lastError) return;
    this.current = { state, sinceMs: state === this.current.state ? this.current.sinceMs : Date.now(), ...(lastError ? { lastError } : {}) };
  }

  private backoff(delayMs: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, delayMs);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.cancelBackoff = done;
    }).finally(() => {
      this.cancelBackoff = undefined;
    });
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
