import { randomUUID } from 'node:crypto';
import { Admin, CompressionTypes, Consumer, ConsumerConfig, IHeaders, Kafka, KafkaMessage, logLevel as KafkaLogLevel, Message, Producer } from 'kafkajs';
import {
  BatchResult,
  EventLog,
  EventLogUnavailableError,
  Headers,
  LogRecord,
  OutgoingRecord,
  SubscribeOptions,
  Subscription,
  SubscriptionState,
  SubscriptionStatus,
  Tail,
  TailOptions,
  TopicSpec,
} from '../event-log.port';
import { TailProgress } from '../tail-progress';

export interface KafkaEventLogOptions {
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly compression?: 'gzip' | 'none';
  /** How long `publish` may wait for the brokers before it gives up with EventLogUnavailableError. */
  readonly publishTimeoutMs?: number;
  readonly logLevel?: 'error' | 'warn' | 'info';
  /** Partitions a consumer works on at once; per-partition order still holds. */
  readonly partitionsConsumedConcurrently?: number;
  /** Where kafkajs's own log lines go (throttled); console by default. */
  readonly logger?: { warn(message: string): void; error(message: string): void };
}

const LOG_THROTTLE_MS = 10_000;

/**
 * kafkajs logs every reconnect attempt; during a broker outage that is hundreds of identical lines.
 * Each distinct message is written at most once per 10 s, with the count of the ones held back.
 */
function throttledLogCreator(logger: { warn(message: string): void; error(message: string): void }) {
  const lastWritten = new Map<string, { at: number; suppressed: number }>();
  return () =>
    ({ namespace, level, log }: { namespace: string; level: KafkaLogLevel; log: { message: string } }) => {
      const line = `kafkajs ${namespace}: ${log.message}`;
      const now = Date.now();
      const seen = lastWritten.get(line);
      if (seen && now - seen.at < LOG_THROTTLE_MS) {
        seen.suppressed += 1;
        return;
      }
      const suffix = seen && seen.suppressed > 0 ? ` (${seen.suppressed} more like it held back)` : '';
      lastWritten.set(line, { at: now, suppressed: 0 });
      if (lastWritten.size > 1_000) lastWritten.clear();
      if (level === KafkaLogLevel.ERROR) logger.error(line + suffix);
      else logger.warn(line + suffix);
    };
}

const RETRY_BACKOFF_START_MS = 100;
/** Per-record limit the topics are created with (max.message.bytes), above the broker default of 1 MiB. */
const MAX_MESSAGE_BYTES = 8 * 1024 * 1024;
const SEND_CHUNK_BYTES = 1024 * 1024;
const RETRY_BACKOFF_MAX_MS = 5_000;

/**
 * The Kafka adapter of the event log port, on kafkajs. The producer is idempotent with acks=all, so
 * a resolved publish means the records are on every in-sync replica. Consumers work per polled
 * batch and commit explicitly after the handler resolves; a failing handler gets the same batch
 * again (with backoff) instead of skipping it.
 */
export class KafkaEventLog implements EventLog {
  private readonly consumers = new Set<Consumer>();

  private constructor(
    private readonly kafka: Kafka,
    private readonly admin: Admin,
    private readonly producer: Producer,
    private readonly options: KafkaEventLogOptions,
  ) {}

  static async connect(options: KafkaEventLogOptions): Promise<KafkaEventLog> {
    const kafka = new Kafka({
      clientId: options.clientId,
      brokers: [...options.brokers],
      logLevel: toKafkaLogLevel(options.logLevel ?? 'error'),
      logCreator: throttledLogCreator(options.logger ?? { warn: (message) => console.warn(message), error: (message) => console.error(message) }),
      connectionTimeout: 3_000,
      requestTimeout: 30_000,
      retry: { initialRetryTime: 100, retries: 8, maxRetryTime: 5_000 },
    });
    const admin = kafka.admin();
    const producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      // Bounded retries: when the brokers are gone, publish fails fast enough for the caller to
      // answer 503 instead of holding the request (and its records) indefinitely.
      retry: { initialRetryTime: 100, retries: 5, maxRetryTime: 2_000 },
    });
    await admin.connect();
    await producer.connect();
    return new KafkaEventLog(kafka, admin, producer, options);
  }

  /**
   * Creates the missing topics. Several apps often start at once on a fresh cluster and race to
   * create the same topics (metadata then briefly says "does not host this topic-partition"): any
   * failure is retried with backoff until every topic exists, and only then does this resolve.
   */
  async ensureTopics(specs: readonly TopicSpec[]): Promise<void> {
    for (let attempt = 0; ; attempt += 1) {
      try {
        const existing = new Set(await this.admin.listTopics());
        const missing = specs.filter((spec) => !existing.has(spec.name));
        if (missing.length === 0) return;
        await this.admin.createTopics({
          waitForLeaders: true,
          topics: missing.map((spec) => ({
            topic: spec.name,
            numPartitions: spec.partitions,
            replicationFactor: -1,
            configEntries: [
              { name: 'retention.ms', value: String(spec.retentionMs) },
              { name: 'cleanup.policy', value: spec.cleanupPolicy ?? 'delete' },
              // Room for the largest record ingest accepts (a 5 MiB body can be one record).
              { name: 'max.message.bytes', value: String(MAX_MESSAGE_BYTES) },
            ],
          })),
        });
      } catch (error) {
        if (attempt >= 12) throw error;
        await delayFor(Math.min(RETRY_BACKOFF_START_MS * 2 ** attempt, RETRY_BACKOFF_MAX_MS));
      }
    }
  }

  async publish(topic: string, records: readonly OutgoingRecord[]): Promise<void> {
    if (records.length === 0) return;
    const messages: Message[] = records.map((record) => ({
      key: record.key ?? null,
      value: typeof record.value === 'string' ? Buffer.from(record.value) : record.value,
      headers: record.headers ? { ...record.headers } : undefined,
      partition: record.partition,
    }));
    const send = this.sendInChunks(topic, messages);
    const timeoutMs = this.options.publishTimeoutMs ?? 15_000;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    try {
      const first = await Promise.race([send, timedOut]);
      if (first === 'timeout') {
        // kafkajs keeps the send going (its own request timeout and retries): the records may still
        // be written. Say so, with the eventual outcome, instead of pretending nothing happened.
        const outcome = send.then(
          () => true,
          () => false,
        );
        throw new EventLogUnavailableError(`Kafka did not acknowledge ${records.length} record(s) on ${topic} within ${timeoutMs} ms`, undefined, outcome);
      }
    } catch (error) {
      if (error instanceof EventLogUnavailableError) throw error;
      throw new EventLogUnavailableError(`Kafka did not acknowledge ${records.length} record(s) on ${topic}: ${describe(error)}`, error);
    } finally {
      if (timer) clearTimeout(timer);
    }
  }

  /**
   * One produce request per chunk of at most SEND_CHUNK_BYTES, in order: a call with many large
   * records (a sink's dead letters, say) never becomes a request the broker refuses as too large.
   */
  private async sendInChunks(topic: string, messages: Message[]): Promise<void> {
    const compression = this.options.compression === 'none' ? CompressionTypes.None : CompressionTypes.GZIP;
    let chunk: Message[] = [];
    let bytes = 0;
    for (const message of messages) {
      const size = (message.value as Buffer).length + (message.key ? Buffer.byteLength(message.key) : 0);
      if (chunk.length > 0 && bytes + size > SEND_CHUNK_BYTES) {
        await this.producer.send({ topic, messages: chunk, acks: -1, compression });
        chunk = [];
        bytes = 0;
      }
      chunk.push(message);
      bytes += size;
    }
    if (chunk.length > 0) await this.producer.send({ topic, messages: chunk, acks: -1, compression });
  }

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    const consumer = this.kafka.consumer(consumerConfig(options.groupId));
    await consumer.connect();
    for (const topic of options.topics) {
      await consumer.subscribe({ topic, fromBeginning: options.fromBeginning ?? true });
    }
    const maxBatch = options.maxBatchRecords ?? 1_000;
    let stopping = false;
    const held = new HeldPartitions();
    const status = new SubscriptionStatusTracker();
    // A revoked partition is no longer this member's to hold (its new owner starts from the last
    // commit); one kept through the rebalance stays paused until its time. kafkajs keeps pause
    // state across rebalances but not across a restart after a crash (a new group state, nothing
    // paused): STOP, emitted by close() and by a crash alike, drops every hold.
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => held.keepOnly(payload.memberAssignment));
    consumer.on(consumer.events.STOP, () => held.clear());
    // kafkajs restarts a consumer after a retriable crash by itself (restartOnFailure); a crash it
    // does not restart from leaves the consumer stopped.
    consumer.on(consumer.events.CRASH, ({ payload }) => status.enter(payload.restart ? 'restarting' : 'closed', errorText(payload.error)));
    consumer.on(consumer.events.GROUP_JOIN, () => status.enter('consuming'));
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      // Several partitions at once: a slow partition does not hold up the others within a fetch.
      partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently ?? 4,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale, commitOffsetsIfNecessary, pause }) => {
        const { topic, partition } = batch;
        for (let start = 0; start < batch.messages.length; start += maxBatch) {
          if (!isRunning() || isStale() || stopping) return;
          let pending = batch.messages.slice(start, start + maxBatch);
          let delay = RETRY_BACKOFF_START_MS;
          while (pending.length > 0) {
            let result: void | BatchResult;
            try {
              result = await options.handler({ topic, partition, records: pending.map((message) => toLogRecord(topic, partition, message)) });
              status.recovered();
            } catch (error) {
              status.enter('retrying', errorText(error));
              // The handler's work is not acknowledged: nothing is committed and the same records
              // are handed over again, unless the partition was revoked meanwhile (then the new
              // owner starts from the last commit).
              if (!isRunning() || isStale() || stopping) return;
              await heartbeat();
              await delayFor(delay);
              delay = Math.min(delay * 2, RETRY_BACKOFF_MAX_MS);
              continue;
            }
            delay = RETRY_BACKOFF_START_MS;
            const consumed = result ? Math.max(0, Math.min(result.consumed, pending.length)) : pending.length;
            if (consumed > 0) {
              // The handler's work is done: commit it even when close() is under way (close waits for it).
              const last = pending[consumed - 1].offset;
              resolveOffset(last);
              // Through the batch's own commit: consumer.commitOffsets() is a no-op once stop() began.
              await commitOffsetsIfNecessary({
                topics: [{ topic, partitions: [{ partition, offset: (BigInt(last) + 1n).toString() }] }],
              });
              await heartbeat();
            }
            pending = pending.slice(consumed);
            if (pending.length === 0) break;
            // The rest is offered again at the time the handler named. Waiting here would hold back
            // every other partition: kafkajs fetches again only once each batch of the last fetch
            // is done (the fetcher awaits its whole worker queue). So the batch ends here with the
            // rest unresolved and the partition paused (left out of fetch requests) until its time;
            // on resume kafkajs fetches it from the last resolved offset, the first unconsumed
            // record, with whatever arrived meanwhile (a sink waiting to fill a request gets the
            // newer records). A time already past needs no pause: the next fetch starts there.
            const retryAtMs = result?.retryAtMs ?? Date.now() + RETRY_BACKOFF_START_MS;
            if (retryAtMs > Date.now() && isRunning() && !stopping) held.hold(topic, partition, retryAtMs, pause);
            return;
          }
        }
      },
    });
    this.consumers.add(consumer);
    return {
      status: () => status.current,
      close: async () => {
        stopping = true;
        status.enter('closed');
        held.clear();
        this.consumers.delete(consumer);
        await consumer.disconnect();
      },
    };
  }

  /**
   * kafkajs has no manual partition assignment, so a tail is a consumer of a throwaway group of its
   * own (`<clientId>-tail-<random>`): it reads from the beginning, never commits (autoCommit off,
   * no commitOffsets), and the group is deleted on close. The handler's progress is kept in memory
   * for `caughtUp`, which snapshots the end offsets when called.
   */
  async tail(options: TailOptions): Promise<Tail> {
    const groupId = `${this.options.clientId}-tail-${randomUUID()}`;
    const consumer = this.kafka.consumer(consumerConfig(groupId));
    const topics = [...new Set(options.topics)];
    const progress = new TailProgress();
    const maxBatch = options.maxBatchRecords ?? 1_000;
    let stopping = false;
    await consumer.connect();
    try {
      for (const topic of topics) await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently ?? 4,
        eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
          const { topic, partition } = batch;
          for (let start = 0; start < batch.messages.length; start += maxBatch) {
            const chunk = batch.messages.slice(start, start + maxBatch);
            for (let delay = RETRY_BACKOFF_START_MS; ; delay = Math.min(delay * 2, RETRY_BACKOFF_MAX_MS)) {
              if (!isRunning() || isStale() || stopping) return;
              try {
                await options.handler({ topic, partition, records: chunk.map((message) => toLogRecord(topic, partition, message)) });
                break;
              } catch {
                // Nothing to commit either way: the same records are handed over again.
                await heartbeat();
                await delayFor(delay);
              }
            }
            const last = chunk[chunk.length - 1].offset;
            // In-memory position only (the next fetch starts after it); autoCommit is off.
            resolveOffset(last);
            progress.advanced(topic, partition, BigInt(last) + 1n);
            await heartbeat();
          }
        },
      });
    } catch (error) {
      await consumer.disconnect().catch(() => undefined);
      throw error;
    }
    this.consumers.add(consumer);
    let closed: Promise<void> | undefined;
    return {
      caughtUp: async (caughtUpOptions) => {
        const targets = [];
        for (const topic of topics) {
          for (const entry of await this.admin.fetchTopicOffsets(topic)) {
            targets.push({ topic, partition: entry.partition, startOffset: BigInt(entry.low), endOffset: BigInt(entry.high) });
          }
        }
        await progress.caughtUp(targets, caughtUpOptions);
      },
      close: () => {
        closed ??= (async () => {
          stopping = true;
          progress.close();
          this.consumers.delete(consumer);
          await consumer.disconnect();
          try {
            await this.admin.deleteGroups([groupId]);
          } catch (error) {
            // Only housekeeping: an empty group without offsets expires on the broker by itself.
            (this.options.logger ?? console).warn(`event log tail: could not delete its group ${groupId}: ${describe(error)}`);
          }
        })();
        return closed;
      },
    };
  }

  async committedOffsets(groupId: string, topic: string): Promise<Map<number, string>> {
    const result = new Map<number, string>();
    const offsets = await this.admin.fetchOffsets({ groupId, topics: [topic] });
    for (const entry of offsets) {
      for (const partition of entry.partitions) {
        if (partition.offset !== '-1') result.set(partition.partition, partition.offset);
      }
    }
    return result;
  }

  async endOffsets(topic: string): Promise<Map<number, string>> {
    const offsets = await this.admin.fetchTopicOffsets(topic);
    return new Map(offsets.map((entry) => [entry.partition, entry.high]));
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.consumers].map((consumer) => consumer.disconnect()));
    this.consumers.clear();
    await Promise.allSettled([this.producer.disconnect(), this.admin.disconnect()]);
  }
}

function toLogRecord(topic: string, partition: number, message: KafkaMessage): LogRecord {
  return {
    topic,
    partition,
    offset: message.offset,
    key: message.key,
    value: message.value ?? Buffer.alloc(0),
    headers: toHeaders(message.headers),
    timestamp: Number(message.timestamp),
  };
}

function toHeaders(headers: IHeaders | undefined): Headers {
  const result: Record<string, string> = {};
  if (!headers) return result;
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const first = Array.isArray(value) ? value[0] : value;
    result[name] = Buffer.isBuffer(first) ? first.toString('utf8') : String(first);
  }
  return result;
}

function toKafkaLogLevel(level: 'error' | 'warn' | 'info'): KafkaLogLevel {
  return level === 'info' ? KafkaLogLevel.INFO : level === 'warn' ? KafkaLogLevel.WARN : KafkaLogLevel.ERROR;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function delayFor(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * The partitions of one consumer that a handler asked to be offered again later: each is paused
 * (through the pause() kafkajs hands to eachBatch, whose resume acts on the group state it paused)
 * and resumed by its own timer, or as soon as it is revoked or the consumer stops.
 */
class HeldPartitions {
  private readonly byPartition = new Map<
    string,
    { readonly topic: string; readonly partition: number; readonly timer: NodeJS.Timeout; readonly resume: () => void }
  >();

  hold(topic: string, partition: number, untilMs: number, pause: () => () => void): void {
    const key = `${partition}|${topic}`;
    const previous = this.byPartition.get(key);
    if (previous) clearTimeout(previous.timer);
    const resume = pause();
    const timer = setTimeout(() => this.release(key), Math.max(0, untilMs - Date.now()));
    this.byPartition.set(key, { topic, partition, timer, resume });
  }

  /** Releases the held partitions that are not in `assignment` (topic → partitions). */
  keepOnly(assignment: Readonly<Record<string, readonly number[]>>): void {
    for (const [key, entry] of this.byPartition) {
      if (!assignment[entry.topic]?.includes(entry.partition)) this.release(key);
    }
  }

  clear(): void {
    for (const key of [...this.byPartition.keys()]) this.release(key);
  }

  private release(key: string): void {
    const entry = this.byPartition.get(key);
    if (!entry) return;
    clearTimeout(entry.timer);
    this.byPartition.delete(key);
    entry.resume();
  }
}

/** The kafkajs consumer settings shared by group subscriptions and tails. */
function consumerConfig(groupId: string): ConsumerConfig {
  return {
    groupId,
    allowAutoTopicCreation: false,
    // A crashed member's partitions move to the others after 10 s instead of kafkajs's 30 s;
    // the batch loop heartbeats between chunks, so long batches do not trip it.
    sessionTimeout: 10_000,
    heartbeatInterval: 2_000,
    maxWaitTimeInMs: 250,
    maxBytesPerPartition: 4 * 1024 * 1024,
    retry: { initialRetryTime: 200, retries: 10 },
  };
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The Subscription.status() of a kafkajs consumer, moved by its events and the handler's outcomes. */
class SubscriptionStatusTracker {
  current: SubscriptionStatus = { state: 'consuming', sinceMs: Date.now() };

  enter(state: SubscriptionState, lastError?: string): void {
    if (this.current.state === 'closed') return;
    if (state === this.current.state && lastError === this.current.lastError) return;
    this.current = { state, sinceMs: state === this.current.state ? this.current.sinceMs : Date.now(), ...(lastError ? { lastError } : {}) };
  }

  /** A handler call succeeded: a retrying consumer is consuming again. */
  recovered(): void {
    if (this.current.state === 'retrying') this.enter('consuming');
  }
}
