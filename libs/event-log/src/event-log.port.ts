/**
 * The event log port. Two adapters implement it: Kafka (kafkajs, the distributed mode) and the
 * embedded single-node durable log (the default for `npm start`). Both pass one contract suite
 * (`testing/event-log.contract.ts`).
 *
 * Semantics every adapter guarantees:
 * - `publish` resolves only once every record is durable (Kafka: acks=all; embedded: fsync).
 * - Records with the same key go to the same partition, so order holds per key.
 * - A subscription hands the handler one polled batch of one topic-partition at a time, in offset
 *   order. The offset after the batch is committed only after the handler's promise resolves.
 *   If the handler throws, nothing is committed and the batch is redelivered.
 * - A new consumer group starts at the beginning (`fromBeginning`) or at the end of each partition.
 * - A handler may consume a prefix of a batch and name when to be offered the rest (BatchResult).
 * - A tail (`tail`) has no group: each one reads its topics from the first retained offset and
 *   follows them, committing nothing; every replica or process that opens one sees every record.
 */
export interface TopicSpec {
  readonly name: string;
  readonly partitions: number;
  /** Retention in milliseconds; -1 keeps records forever. */
  readonly retentionMs: number;
  readonly cleanupPolicy?: 'delete' | 'compact';
}

export type Headers = Readonly<Record<string, string>>;

export interface OutgoingRecord {
  readonly key?: string | Buffer | null;
  readonly value: Buffer | string;
  readonly headers?: Headers;
  /** Explicit partition; by default the partition is chosen from the key. */
  readonly partition?: number;
}

export interface LogRecord {
  readonly topic: string;
  readonly partition: number;
  /** Offsets are decimal strings, as Kafka's are (they can exceed 2^53). */
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer;
  readonly headers: Headers;
  /** Milliseconds since the epoch, set when the record was appended. */
  readonly timestamp: number;
}

export interface RecordBatch {
  readonly topic: string;
  readonly partition: number;
  readonly records: readonly LogRecord[];
}

/**
 * What a handler may answer besides "all done" (void): it consumed only the first `consumed` records
 * of the batch (they are committed), and the rest is to be offered again, not before `retryAtMs`
 * (e.g. a delayed-retry consumer whose next record is not due yet). While it waits, that partition
 * is paused; other partitions go on.
 */
export interface BatchResult {
  readonly consumed: number;
  readonly retryAtMs?: number;
}

export type BatchHandler = (batch: RecordBatch) => Promise<void | BatchResult>;

export interface SubscribeOptions {
  readonly groupId: string;
  readonly topics: readonly string[];
  /** Where a group with no committed offset starts. Defaults to true. */
  readonly fromBeginning?: boolean;
  /** Upper bound on records handed to one handler call. Adapters may deliver fewer. */
  readonly maxBatchRecords?: number;
  readonly handler: BatchHandler;
}

/**
 * What a consumer is doing, for readiness and metrics. `consuming`: connected and delivering (idle
 * counts); `retrying`: the last handler call or fetch failed and it is redelivering after a backoff
 * (`lastError` says why); `restarting`: the client lost its group or crashed and is reconnecting;
 * `closed`: close() was called or it gave up.
 */
export type SubscriptionState = 'consuming' | 'retrying' | 'restarting' | 'closed';

export interface SubscriptionStatus {
  readonly state: SubscriptionState;
  /** Epoch ms when it entered this state. */
  readonly sinceMs: number;
  readonly lastError?: string;
}

export interface Subscription {
  /** Stops fetching, waits for the in-flight batch and its commit, and leaves the group. */
  close(): Promise<void>;
  status(): SubscriptionStatus;
}

export interface TailOptions {
  readonly topics: readonly string[];
  /** Batches in offset order per partition; a throw redelivers that batch after a backoff (nothing is committed: a tail has no group). */
  readonly handler: (batch: RecordBatch) => Promise<void>;
  readonly maxBatchRecords?: number;
}

export interface Tail {
  /** Resolves once the handler has applied every record written to the tail's topics before this call (read-your-writes); rejects with TailNotCaughtUpError (code 'tail_not_caught_up', retriable) after timeoutMs (default 10_000). */
  caughtUp(options?: { timeoutMs?: number }): Promise<void>;
  close(): Promise<void>;
}

export interface EventLog {
  /** Creates the topics that do not exist yet; existing topics are left as they are. */
  ensureTopics(specs: readonly TopicSpec[]): Promise<void>;
  publish(topic: string, records: readonly OutgoingRecord[]): Promise<void>;
  subscribe(options: SubscribeOptions): Promise<Subscription>;
  /** Committed offset (the next offset to read) of a group per partition; absent partitions have none. */
  committedOffsets(groupId: string, topic: string): Promise<Map<number, string>>;
  /** The next offset to be written (the high watermark) per partition. */
  endOffsets(topic: string): Promise<Map<number, string>>;
  /** Follows the topics from their first retained offset without a group (see TailOptions, Tail). */
  tail(options: TailOptions): Promise<Tail>;
  close(): Promise<void>;
}

/** Thrown by `publish` when the log cannot take records now (broker down, buffer full). */
export class EventLogUnavailableError extends Error {
  readonly code = 'event_log_unavailable';
  readonly retriable = true;
  /**
   * Set when `publish` gave up waiting while the write itself may still complete (a hung broker):
   * resolves to whether the records were written after all, once the client knows. Absent when
   * nothing was written (the broker refused, or a local limit was hit).
   */
  readonly outcome?: Promise<boolean>;
  constructor(message: string, cause?: unknown, outcome?: Promise<boolean>) {
    super(message, { cause });
    this.name = 'EventLogUnavailableError';
    if (outcome) this.outcome = outcome;
  }
}

/** Rejects `Tail.caughtUp` when the handler did not apply everything written before the call in time. */
export class TailNotCaughtUpError extends Error {
  readonly code = 'tail_not_caught_up';
  readonly retriable = true;
  constructor(message: string, cause?: unknown) {
    super(message, { cause });
    this.name = 'TailNotCaughtUpError';
  }
}

export const EVENT_LOG = Symbol('EVENT_LOG');
