import {
  EventLogUnavailableError,
  type EventLog,
  type LogRecord,
  type OutgoingRecord,
  type SubscribeOptions,
  type Subscription,
  type Tail,
  type TailOptions,
  type TopicSpec,
} from '../event-log.port';
import { AppendNotifier } from '../embedded/append.notifier';
import type { GroupSubscriptionConsumer, ConsumablePartition } from '../embedded/group-subscription.consumer';
import { partitionOfRecord } from '../embedded/murmur2.partitioner';
import { startGroupSubscription, startTail } from '../embedded/partition-consumers';
import type { PartitionRead } from '../embedded/partition-log.store';

export type InMemoryEventLogErrorCode = 'unknown_topic' | 'invalid_partition' | 'invalid_subscription' | 'group_already_subscribed';

/** A permanent error of the in-memory log (bad input), coded like the embedded log's. */
export class InMemoryEventLogError extends Error {
  readonly retriable = false;
  constructor(
    readonly code: InMemoryEventLogErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'InMemoryEventLogError';
  }
}

/** A publish held by `holdNextPublish`: it completes (writing its records) or fails when the test says. */
export interface HeldPublish {
  /** Resolves once a publish call arrived and is being held. */
  readonly reached: Promise<void>;
  /** Writes the held records and resolves the publish. */
  release(): void;
  /** Rejects the held publish with `error`; nothing is written. */
  fail(error: unknown): void;
}

interface Fault {
  readonly kind: 'fail' | 'hold';
  readonly error?: unknown;
  readonly hold?: { arrived: () => void; gate: Promise<{ error?: unknown }> };
}

const DEFAULT_MAX_BATCH_RECORDS = 1000;
/** Handler failures are the test's to assert on; the in-memory log does not log them. */
const SILENT_LOGGER = { warn: () => undefined };

/** The records of one partition (part of InMemoryEventLogStorage; offsets are indexes). */
export class InMemoryPartition implements ConsumablePartition {
  readonly records: LogRecord[] = [];
  constructor(
    readonly topic: string,
    readonly partition: number,
  ) {}

  get startOffset(): number {
    return 0;
  }

  get endOffset(): number {
    return this.records.length;
  }

  async read(fromOffset: number, maxRecords: number): Promise<PartitionRead> {
    const records = this.records.slice(fromOffset, fromOffset + maxRecords);
    return { records, nextOffset: fromOffset + records.length };
  }
}

/** One topic of an InMemoryEventLogStorage. */
export interface InMemoryTopic {
  readonly spec: TopicSpec;
  readonly partitions: readonly InMemoryPartition[];
  roundRobin: number;
}

/**
 * What an InMemoryEventLog keeps (topics, records, committed offsets). Hand one log's `storage` to
 * a new one to model a restart: records and committed offsets survive, subscriptions do not.
 */
export interface InMemoryEventLogStorage {
  readonly topics: Map<string, InMemoryTopic>;
  readonly committed: Map<string, Map<string, Map<number, number>>>;
}

/**
 * The event log port in memory, for unit tests: the same semantics as the other adapters (it
 * passes the contract suite): records partitioned by key (Kafka's murmur2), offsets committed
 * after the handler resolved, a partial consume pausing only its partition until `retryAtMs`,
 * redelivery after a throw, groupless tails. Not durable, no retention, one subscription per group.
 *
 * Fault injection for the code under test: `failNextPublish(error)` and `holdNextPublish()`.
 */
export class InMemoryEventLog implements EventLog {
  readonly storage: InMemoryEventLogStorage;
  private readonly topics: Map<string, InMemoryTopic>;
  private readonly committed: Map<string, Map<string, Map<number, number>>>;
  private readonly subscriptions = new Map<string, GroupSubscriptionConsumer>();
  private readonly tails = new Set<GroupSubscriptionConsumer>();
  private readonly notifier = new AppendNotifier();
  private readonly faults: Fault[] = [];
  private state: 'open' | 'closing' | 'closed' = 'open';

  constructor(options: { storage?: InMemoryEventLogStorage } = {}) {
    this.storage = options.storage ?? { topics: new Map(), committed: new Map() };
    this.topics = this.storage.topics;
    this.committed = this.storage.committed;
  }

  async ensureTopics(specs: readonly TopicSpec[]): Promise<void> {
    this.assertOpen();
    for (const spec of specs) {
      if (this.topics.has(spec.name)) continue;
      const count = spec.partitions > 0 ? spec.partitions : 1;
      this.topics.set(spec.name, {
        spec,
        partitions: Array.from({ length: count }, (_, partition) => new InMemoryPartition(spec.name, partition)),
        roundRobin: 0,
      });
    }
  }

  /** The next publish call rejects with `error` and writes nothing. Faults apply in the order they were set. */
  failNextPublish(error: unknown): void {
    this.faults.push({ kind: 'fail', error });
  }

  /** The next publish call waits until the returned handle releases (writes) or fails it. */
  holdNextPublish(): HeldPublish {
    let arrived!: () => void;
    const reached = new Promise<void>((resolve) => (arrived = resolve));
    let settle!: (outcome: { error?: unknown }) => void;
    const gate = new Promise<{ error?: unknown }>((resolve) => (settle = resolve));
    this.faults.push({ kind: 'hold', hold: { arrived, gate } });
    return {
      reached,
      release: () => settle({}),
      fail: (error) => settle({ error }),
    };
  }

  async publish(topic: string, records: readonly OutgoingRecord[]): Promise<void> {
    if (this.state === 'closed') throw new EventLogUnavailableError('in-memory event log is closed');
    const open = this.topicOrThrow(topic);
    // Placement first, so a bad record fails the call before anything is written.
    const placed = records.map((record) => [partitionOfRecord(open, record, invalidPartition), record] as const);
    const fault = this.faults.shift();
    if (fault?.kind === 'fail') throw fault.error;
    if (fault?.kind === 'hold' && fault.hold) {
      fault.hold.arrived();
      const outcome = await fault.hold.gate;
      if (outcome.error !== undefined) throw outcome.error;
    }
    const timestamp = Date.now();
    for (const [partition, record] of placed) {
      const log = open.partitions[partition];
      log.records.push({
        topic,
        partition,
        offset: String(log.records.length),
        key: record.key === null || record.key === undefined ? null : Buffer.from(record.key),
        value: Buffer.from(record.value),
        headers: { ...record.headers },
        timestamp,
      });
    }
    this.notifier.appended(topic);
  }

  /** Every record of `topic`, by partition then offset (what a test reads back). */
  records(topic: string): LogRecord[] {
    return this.topicOrThrow(topic).partitions.flatMap((partition) => [...partition.records]);
  }

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    this.assertOpen();
    const topics = this.validTopics(options.topics, options.maxBatchRecords);
    if (this.subscriptions.has(options.groupId)) {
      throw new InMemoryEventLogError('group_already_subscribed', `group ${options.groupId} already has a subscription`);
    }
    return startGroupSubscription({
      notifier: this.notifier,
      logger: SILENT_LOGGER,
      groupId: options.groupId,
      topics,
      partitions: topics.flatMap((topic) => this.topicOrThrow(topic).partitions),
      fromBeginning: options.fromBeginning ?? true,
      maxBatchRecords: options.maxBatchRecords ?? DEFAULT_MAX_BATCH_RECORDS,
      handler: options.handler,
      committed: (topic, partition) => this.committedOf(options.groupId, topic).get(partition),
      commit: async (topic, partition, nextOffset) => {
        let byTopic = this.committed.get(options.groupId);
        if (!byTopic) this.committed.set(options.groupId, (byTopic = new Map()));
        let byPartition = byTopic.get(topic);
        if (!byPartition) byTopic.set(topic, (byPartition = new Map()));
        byPartition.set(partition, nextOffset);
      },
      track: (subscription) => this.subscriptions.set(options.groupId, subscription),
      untrack: () => this.subscriptions.delete(options.groupId),
    });
  }

  async tail(options: TailOptions): Promise<Tail> {
    this.assertOpen();
    const topics = this.validTopics(options.topics, options.maxBatchRecords);
    return startTail({
      notifier: this.notifier,
      logger: SILENT_LOGGER,
      topics,
      partitions: topics.flatMap((topic) => this.topicOrThrow(topic).partitions),
      maxBatchRecords: options.maxBatchRecords ?? DEFAULT_MAX_BATCH_RECORDS,
      handler: options.handler,
      track: (consumer) => this.tails.add(consumer),
      untrack: (consumer) => this.tails.delete(consumer),
    });
  }

  async committedOffsets(groupId: string, topic: string): Promise<Map<number, string>> {
    return new Map([...this.committedOf(groupId, topic)].map(([partition, offset]) => [partition, String(offset)]));
  }

  async endOffsets(topic: string): Promise<Map<number, string>> {
    return new Map(this.topicOrThrow(topic).partitions.map((p) => [p.partition, String(p.endOffset)]));
  }

  /** Closes subscriptions and tails (their handlers may still publish while finishing). Idempotent. */
  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closing';
    await Promise.all([...this.subscriptions.values(), ...this.tails].map((consumer) => consumer.close()));
    this.state = 'closed';
  }

  private committedOf(groupId: string, topic: string): ReadonlyMap<number, number> {
    return this.committed.get(groupId)?.get(topic) ?? new Map();
  }

  private validTopics(requested: readonly string[], maxBatchRecords: number | undefined): string[] {
    const topics = [...new Set(requested)];
    const max = maxBatchRecords ?? DEFAULT_MAX_BATCH_RECORDS;
    if (topics.length === 0 || !Number.isInteger(max) || max < 1) {
      throw new InMemoryEventLogError('invalid_subscription', 'needs topics and a positive integer maxBatchRecords');
    }
    for (const topic of topics) this.topicOrThrow(topic);
    return topics;
  }

  private topicOrThrow(name: string): InMemoryTopic {
    const topic = this.topics.get(name);
    if (!topic) throw new InMemoryEventLogError('unknown_topic', `topic ${name} does not exist; call ensureTopics first`);
    return topic;
  }

  private assertOpen(): void {
    if (this.state !== 'open') throw new EventLogUnavailableError('in-memory event log is closed');
  }
}

function invalidPartition(message: string): InMemoryEventLogError {
  return new InMemoryEventLogError('invalid_partition', message);
}
