import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  EventLogUnavailableError,
  type EventLog,
  type OutgoingRecord,
  type SubscribeOptions,
  type Subscription,
  type Tail,
  type TailOptions,
  type TopicSpec,
} from '../event-log.port';
import { AppendNotifier } from './append.notifier';
import { syncDirectory } from './atomic-file.writer';
import { DataDirLock } from './data-dir.lock';
import { EmbeddedEventLogError } from './embedded-event-log.errors';
import { GroupOffsetsStore } from './group-offsets.store';
import { logError, type EmbeddedEventLogLogger } from './embedded-event-log.types';
import { GroupSubscriptionConsumer } from './group-subscription.consumer';
import { partitionOfRecord } from './murmur2.partitioner';
import { PartitionLog } from './partition-log.store';
import { startGroupSubscription, startTail } from './partition-consumers';
import { encodeFrames } from './record-frame.codec';
import { TopicCatalogStore, type StoredTopic } from './topic-catalog.store';

export { EmbeddedEventLogError, type EmbeddedEventLogErrorCode } from './embedded-event-log.errors';
export type { EmbeddedEventLogLogger } from './embedded-event-log.types';

export interface EmbeddedEventLogOptions {
  /** Directory holding `topics.json`, `groups/` and `logs/<topic>/<partition>/<baseOffset>.log`. */
  readonly dataDir: string;
  /** Partitions of a topic whose spec asks for `partitions <= 0` (Kafka's "broker default"). Default 1. */
  readonly defaultPartitions?: number;
  /**
   * Both modes fsync before `publish` resolves. 'batch' (default): concurrent publishes to a
   * partition share one write and one fsync (group commit). 'always': one fsync per publish call.
   */
  readonly fsync?: 'always' | 'batch';
  /** Size at which a partition starts a new segment file. Default 64 MiB. */
  readonly segmentBytes?: number;
  /** How often whole segments past a topic's retention are deleted. Default 60 s. */
  readonly retentionCheckIntervalMs?: number;
  /** Receives handler failures and background errors. Default: console. */
  readonly logger?: EmbeddedEventLogLogger;
}

/** Counters of the embedded log for metrics and health checks. */
export interface EmbeddedEventLogStats {
  /** Damaged frames found inside segments (at open or by a read) and skipped; never delivered. */
  readonly corruptFramesSkipped: number;
  /** Committed group offsets found past their partition's end at open and reset to it. */
  readonly committedOffsetsReset: number;
}

interface OpenTopic {
  readonly spec: StoredTopic;
  readonly partitions: readonly PartitionLog[];
  roundRobin: number;
}

const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/;
const DEFAULT_SEGMENT_BYTES = 64 * 1024 * 1024;
const DEFAULT_MAX_BATCH_RECORDS = 1000;

/**
 * The single-node, single-process durable event log behind `npm start`: per topic-partition an
 * append-only segment file of CRC-checked frames, fsynced before `publish` resolves, and consumer
 * groups whose committed offsets live in atomically replaced JSON files. Not a Kafka replacement:
 * one process, one subscription per group at a time, no replication, no compaction.
 */
export class EmbeddedEventLog implements EventLog {
  private readonly topics = new Map<string, OpenTopic>();
  private readonly subscriptions = new Map<string, GroupSubscriptionConsumer>();
  private readonly tails = new Set<GroupSubscriptionConsumer>();
  private readonly notifier = new AppendNotifier();
  private state: 'open' | 'closing' | 'closed' = 'open';
  private topicChanges: Promise<void> = Promise.resolve();
  private retentionTimer?: NodeJS.Timeout;
  private retentionRun?: Promise<unknown>;
  private closed?: Promise<void>;
  private committedOffsetsReset = 0;

  private constructor(
    private readonly dataDir: string,
    private readonly lock: DataDirLock,
    private readonly catalog: TopicCatalogStore,
    private readonly offsets: GroupOffsetsStore,
    private readonly settings: Required<Omit<EmbeddedEventLogOptions, 'dataDir'>>,
  ) {}

  /**
   * Opens (creating if needed) the log in `dataDir`: rebuilds indexes, truncates torn tails (an
   * incomplete or damaged final write of a partition) and skips damaged frames inside segments,
   * keeping every frame after them (reported through `logger.error` and `stats()`). A group offsets
   * file that cannot be read stops the open with an error naming it (see GroupOffsetsStore).
   */
  static async open(options: EmbeddedEventLogOptions): Promise<EmbeddedEventLog> {
    const settings = resolveSettings(options);
    await mkdir(join(options.dataDir, 'logs'), { recursive: true });
    const lock = await DataDirLock.acquire(options.dataDir);
    let log: EmbeddedEventLog | undefined;
    try {
      const catalog = await TopicCatalogStore.load(options.dataDir);
      const offsets = await GroupOffsetsStore.load(options.dataDir);
      await syncDirectory(options.dataDir);
      log = new EmbeddedEventLog(options.dataDir, lock, catalog, offsets, settings);
      for (const spec of catalog.list()) log.topics.set(spec.name, await log.openTopic(spec));
      await log.resetOffsetsPastTheEnd();
      log.startRetention();
      return log;
    } catch (error) {
      await Promise.all([...(log?.topics.values() ?? [])].flatMap((topic) => topic.partitions.map((p) => p.close())));
      await lock.release();
      throw error;
    }
  }

  async ensureTopics(specs: readonly TopicSpec[]): Promise<void> {
    this.assertOpen();
    for (const spec of specs) validateTopicName(spec.name);
    const change = this.topicChanges.then(() => this.createMissingTopics(specs));
    this.topicChanges = change.catch(() => undefined);
    return change;
  }

  async publish(topic: string, records: readonly OutgoingRecord[]): Promise<void> {
    // Still accepted while closing: handlers finishing their last batch may publish.
    if (this.state === 'closed') throw new EventLogUnavailableError('embedded event log is closed');
    const open = this.topicOrThrow(topic);
    const byPartition: OutgoingRecord[][] = [];
    for (const record of records) (byPartition[partitionOfRecord(open, record, invalidPartition)] ??= []).push(record);
    // Encode everything before queueing anything, so a bad record fails the call without a partial write.
    const timestamp = Date.now();
    const appends: [PartitionLog, Buffer][] = [];
    byPartition.forEach((partitionRecords, partition) => {
      appends.push([open.partitions[partition], encodeFrames(partitionRecords, timestamp)]);
    });
    await Promise.all(appends.map(([partition, frames]) => partition.append(frames)));
  }

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    if (this.state !== 'open') throw new EventLogUnavailableError('embedded event log is closed');
    const topics = [...new Set(options.topics)];
    const maxBatchRecords = options.maxBatchRecords ?? DEFAULT_MAX_BATCH_RECORDS;
    if (topics.length === 0 || !Number.isInteger(maxBatchRecords) || maxBatchRecords < 1) {
      throw new EmbeddedEventLogError('invalid_subscription', 'subscribe needs topics and a positive integer maxBatchRecords');
    }
    if (this.subscriptions.has(options.groupId)) {
      throw new EmbeddedEventLogError('group_already_subscribed', `group ${options.groupId} already has a subscription; the embedded log runs one per group`);
    }
    return startGroupSubscription({
      notifier: this.notifier,
      logger: this.settings.logger,
      groupId: options.groupId,
      topics,
      partitions: topics.flatMap((topic) => this.topicOrThrow(topic).partitions),
      fromBeginning: options.fromBeginning ?? true,
      maxBatchRecords,
      handler: options.handler,
      committed: (topic, partition) => this.offsets.committed(options.groupId, topic).get(partition),
      commit: (topic, partition, nextOffset) => this.offsets.commit(options.groupId, topic, partition, nextOffset),
      track: (subscription) => this.subscriptions.set(options.groupId, subscription),
      untrack: () => this.subscriptions.delete(options.groupId),
    });
  }

  /**
   * A groupless reader: from each partition's first retained offset, following appends, with
   * progress kept in memory only. Any number of tails may read the same topics.
   */
  async tail(options: TailOptions): Promise<Tail> {
    if (this.state !== 'open') throw new EventLogUnavailableError('embedded event log is closed');
    const topics = [...new Set(options.topics)];
    const maxBatchRecords = options.maxBatchRecords ?? DEFAULT_MAX_BATCH_RECORDS;
    if (topics.length === 0 || !Number.isInteger(maxBatchRecords) || maxBatchRecords < 1) {
      throw new EmbeddedEventLogError('invalid_subscription', 'tail needs topics and a positive integer maxBatchRecords');
    }
    return startTail({
      notifier: this.notifier,
      logger: this.settings.logger,
      topics,
      partitions: topics.flatMap((topic) => this.topicOrThrow(topic).partitions),
      maxBatchRecords,
      handler: options.handler,
      track: (consumer) => this.tails.add(consumer),
      untrack: (consumer) => this.tails.delete(consumer),
    });
  }

  /** Corruption counters since open (see EmbeddedEventLogStats). */
  stats(): EmbeddedEventLogStats {
    let corruptFramesSkipped = 0;
    for (const topic of this.topics.values()) {
      for (const partition of topic.partitions) corruptFramesSkipped += partition.corruptFramesSkipped;
    }
    return { corruptFramesSkipped, committedOffsetsReset: this.committedOffsetsReset };
  }

  async committedOffsets(groupId: string, topic: string): Promise<Map<number, string>> {
    const committed = this.offsets.committed(groupId, topic);
    return new Map([...committed].map(([partition, offset]) => [partition, String(offset)]));
  }

  async endOffsets(topic: string): Promise<Map<number, string>> {
    const open = this.topicOrThrow(topic);
    return new Map(open.partitions.map((partition) => [partition.partition, String(partition.endOffset)]));
  }

  /**
   * Closes subscriptions (their handlers may still publish while finishing), then waits for queued
   * appends and closes the files. Idempotent.
   */
  close(): Promise<void> {
    this.closed ??= (async () => {
      this.state = 'closing';
      await Promise.all([...this.subscriptions.values(), ...this.tails].map((consumer) => consumer.close()));
      this.state = 'closed';
      clearInterval(this.retentionTimer);
      await this.retentionRun;
      await this.topicChanges;
      await Promise.all([...this.topics.values()].flatMap((topic) => topic.partitions.map((p) => p.close())));
      await this.lock.release();
    })();
    return this.closed;
  }

  /**
   * Deletes whole segments whose records are all older than their topic's retention (never a
   * partition's active segment; `compact` topics are kept whole). Runs on a timer; public for tests.
   * Returns how many segments were deleted.
   */
  async enforceRetention(now = Date.now()): Promise<number> {
    let deleted = 0;
    for (const topic of this.topics.values()) {
      if (topic.spec.retentionMs < 0 || topic.spec.cleanupPolicy === 'compact') continue;
      for (const partition of topic.partitions) {
        deleted += await partition.deleteSegmentsOlderThan(now - topic.spec.retentionMs);
      }
    }
    return deleted;
  }

  /**
   * A committed offset past its partition's end means the log lost its tail after the group
   * committed (a truncated torn tail, a restored backup). Left alone, the group would skip every
   * record appended after the restart until the end caught up again; it continues at the end
   * instead, loudly. Runs at open, before anything can be appended.
   */
  private async resetOffsetsPastTheEnd(): Promise<void> {
    for (const { groupId, topic, partition, offset } of [...this.offsets.entries()]) {
      const log = this.topics.get(topic)?.partitions[partition];
      if (!log || offset <= log.endOffset) continue;
      logError(
        this.settings.logger,
        `event log group ${groupId}: committed offset ${offset} of ${topic}-${partition} is past the ` +
          `partition's end ${log.endOffset}; resetting it to ${log.endOffset}`,
      );
      await this.offsets.commit(groupId, topic, partition, log.endOffset);
      this.committedOffsetsReset++;
    }
  }

  private async createMissingTopics(specs: readonly TopicSpec[]): Promise<void> {
    const missing = new Map<string, StoredTopic>();
    for (const spec of specs) {
      if (this.topics.has(spec.name) || missing.has(spec.name)) continue;
      const partitions = spec.partitions > 0 ? spec.partitions : this.settings.defaultPartitions;
      if (!Number.isInteger(partitions)) {
        throw new EmbeddedEventLogError('invalid_topic', `topic ${spec.name}: partitions must be an integer`);
      }
      missing.set(spec.name, {
        name: spec.name,
        partitions,
        retentionMs: spec.retentionMs,
        cleanupPolicy: spec.cleanupPolicy ?? 'delete',
      });
    }
    if (missing.size === 0) return;
    // Files first, then topics.json: the catalog is the source of truth, so a crash in between
    // leaves only empty, unused partition directories that a later ensureTopics reuses.
    const opened: OpenTopic[] = [];
    try {
      for (const spec of missing.values()) opened.push(await this.openTopic(spec));
      await syncDirectory(join(this.dataDir, 'logs'));
      await this.catalog.add([...missing.values()]);
    } catch (error) {
      await Promise.all(opened.flatMap((topic) => topic.partitions.map((p) => p.close())));
      throw error;
    }
    for (const topic of opened) this.topics.set(topic.spec.name, topic);
  }

  private async openTopic(spec: StoredTopic): Promise<OpenTopic> {
    const directory = join(this.dataDir, 'logs', spec.name);
    await mkdir(directory, { recursive: true });
    const partitions: PartitionLog[] = [];
    try {
      for (let partition = 0; partition < spec.partitions; partition++) {
        partitions.push(
          await PartitionLog.open(join(directory, String(partition)), spec.name, partition, {
            fsync: this.settings.fsync,
            segmentBytes: this.settings.segmentBytes,
            onAppended: () => this.notifier.appended(spec.name),
            logger: this.settings.logger,
          }),
        );
      }
      await syncDirectory(directory);
    } catch (error) {
      await Promise.all(partitions.map((p) => p.close()));
      throw error;
    }
    return { spec, partitions, roundRobin: 0 };
  }

  private topicOrThrow(name: string): OpenTopic {
    const topic = this.topics.get(name);
    if (!topic) throw new EmbeddedEventLogError('unknown_topic', `topic ${name} does not exist; call ensureTopics first`);
    return topic;
  }

  private assertOpen(): void {
    if (this.state !== 'open') throw new EventLogUnavailableError('embedded event log is closed');
  }

  private startRetention(): void {
    this.retentionTimer = setInterval(() => {
      this.retentionRun ??= this.enforceRetention()
        .catch((error: unknown) => this.settings.logger.warn(`event log retention failed: ${String(error)}`))
        .finally(() => {
          this.retentionRun = undefined;
        });
    }, this.settings.retentionCheckIntervalMs);
    this.retentionTimer.unref();
  }
}

function resolveSettings(options: EmbeddedEventLogOptions): Required<Omit<EmbeddedEventLogOptions, 'dataDir'>> {
  const settings = {
    defaultPartitions: options.defaultPartitions ?? 1,
    fsync: options.fsync ?? 'batch',
    segmentBytes: options.segmentBytes ?? DEFAULT_SEGMENT_BYTES,
    retentionCheckIntervalMs: options.retentionCheckIntervalMs ?? 60_000,
    logger: options.logger ?? { warn: (message: string) => console.warn(message), error: (message: string) => console.error(message) },
  };
  if (!Number.isInteger(settings.defaultPartitions) || settings.defaultPartitions < 1) {
    throw new RangeError('defaultPartitions must be a positive integer');
  }
  if (settings.fsync !== 'always' && settings.fsync !== 'batch') throw new RangeError("fsync must be 'always' or 'batch'");
  if (!Number.isInteger(settings.segmentBytes) || settings.segmentBytes < 1) {
    throw new RangeError('segmentBytes must be a positive integer');
  }
  return settings;
}

function invalidPartition(message: string): EmbeddedEventLogError {
  return new EmbeddedEventLogError('invalid_partition', message);
}

function validateTopicName(name: string): void {
  if (!TOPIC_NAME.test(name) || name === '.' || name === '..') {
    throw new EmbeddedEventLogError('invalid_topic', `invalid topic name ${JSON.stringify(name)} (Kafka rules: [a-zA-Z0-9._-], 1..249)`);
  }
}
