import { randomUUID } from 'node:crypto';
import {
  Admin,
  Consumer,
  ConsumerConfig,
  IHeaders,
  Kafka,
  KafkaConfig,
  KafkaMessage,
  logLevel as KafkaLogLevel,
  Message,
  Producer,
  SASLOptions,
} from 'kafkajs';
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
  TailNotCaughtUpError,
  TailOptions,
  TopicSpec,
} from '../event-log.port';
import { DEFAULT_CAUGHT_UP_TIMEOUT_MS, TailProgress } from '../tail-progress';
import { compressionType, giveUpOnBatch, KafkaCompression, registerKafkaCodecs, UndecodableBatchError, undecodableBatchFor } from './kafka.codecs';

/** TLS towards the brokers (PEM texts). */
export interface KafkaTlsOptions {
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
  readonly keyPassword?: string;
  readonly servername?: string;
  /** Defaults to true: a broker certificate the CA does not vouch for is refused. */
  readonly rejectUnauthorized?: boolean;
}

/** SASL: PLAIN and SCRAM with a user and password; OAUTHBEARER with a token asked for at every authentication. */
export type KafkaSaslOptions =
  | { readonly mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; readonly username: string; readonly password: string }
  | { readonly mechanism: 'oauthbearer'; readonly token: () => string | Promise<string> };

/** Missing topics when topic creation is off: every one is named. */
export class MissingTopicsError extends Error {
  readonly code = 'missing_topics';
  readonly retriable = false;
  constructor(readonly topics: readonly string[]) {
    super(`topic creation is off (KAFKA_CREATE_TOPICS=false) and ${topics.length} topic(s) do not exist: ${topics.join(', ')}`);
    this.name = 'MissingTopicsError';
  }
}

/** What the adapter counts about its consumers, by full group id (read at scrape time). */
export interface KafkaEventLogStats {
  /** Consumers recreated after a crash (broker error, undecodable batch, failed commit), by group. */
  readonly consumerRestarts: ReadonlyMap<string, number>;
  /** Fetched record batches that could not be decoded, by group. */
  readonly undecodableBatches: ReadonlyMap<string, number>;
  /** Undecodable batches given up on: dead-lettered, then skipped, by group. */
  readonly skippedBatches: ReadonlyMap<string, number>;
}

/** An undecodable batch given up on, for its dead letter. */
export interface UndecodableBatch {
  readonly groupId: string;
  /** The contract name (without the topic prefix). */
  readonly topic: string;
  readonly partition: number;
  readonly baseOffset: string;
  readonly lastOffset: string;
  readonly records: number;
  readonly codec: string;
  readonly reason: string;
  /** The batch's records as fetched (still compressed): what the dead letter keeps of them. */
  readonly compressed: Buffer;
  readonly attempts: number;
}

/** What to do with a batch that never decodes. */
export interface UndecodableBatchPolicy {
  /** Restarts on the same batch (same partition and offset, in a row) before it is dead-lettered and skipped; 0 never skips. */
  readonly skipAfterAttempts: number;
  /** Its dead letter: the topic (a contract name) and the record. The batch is skipped only once this is acknowledged. */
  readonly deadLetter: (batch: UndecodableBatch) => { readonly topic: string; readonly record: OutgoingRecord };
}

export interface KafkaEventLogOptions {
  readonly brokers: readonly string[];
  readonly clientId: string;
  /** Codec of produced batches; gzip by default. Every codec is readable whatever this says. */
  readonly compression?: KafkaCompression;
  /** Absent: plaintext. */
  readonly tls?: KafkaTlsOptions;
  readonly sasl?: KafkaSaslOptions;
  /**
   * Put before every topic name the adapter is given (create, publish, subscribe, tail, offsets); the
   * records handed to handlers carry the names without it. The contracts stay the one source of names.
   */
  readonly topicPrefix?: string;
  /** false: ensureTopics creates nothing and fails with MissingTopicsError naming the missing ones. Default true. */
  readonly createTopics?: boolean;
  /** Absent: an undecodable batch is read again after every restart, never skipped. */
  readonly undecodableBatches?: UndecodableBatchPolicy;
  /** Backoff of a consumer recreated after a crash: from this, doubling, up to restartBackoffMaxMs. */
  readonly restartBackoffStartMs?: number;
  readonly restartBackoffMaxMs?: number;
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
  private readonly restarts = new Map<string, number>();
  private readonly undecodable = new Map<string, number>();
  private readonly skipped = new Map<string, number>();
  private readonly prefix: string;

  private constructor(
    private readonly kafka: Kafka,
    private readonly admin: Admin,
    private readonly producer: Producer,
    private readonly options: KafkaEventLogOptions,
  ) {
    this.prefix = options.topicPrefix ?? '';
  }

  static async connect(options: KafkaEventLogOptions): Promise<KafkaEventLog> {
    // Once per process: kafkajs's codec registry is global, and every consumer must read lz4,
    // snappy and zstd batches whatever codec this process writes with.
    registerKafkaCodecs();
    const kafka = new Kafka({
      clientId: options.clientId,
      brokers: [...options.brokers],
      logLevel: toKafkaLogLevel(options.logLevel ?? 'error'),
      logCreator: throttledLogCreator(options.logger ?? { warn: (message) => console.warn(message), error: (message) => console.error(message) }),
      connectionTimeout: 3_000,
      requestTimeout: 30_000,
      retry: { initialRetryTime: 100, retries: 8, maxRetryTime: 5_000 },
      ...securityConfig(options),
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
    try {
      await admin.connect();
      await producer.connect();
    } catch (error) {
      await Promise.allSettled([producer.disconnect(), admin.disconnect()]);
      throw new EventLogUnavailableError(`cannot connect to Kafka at ${options.brokers.join(',')}: ${describe(error)}`, error);
    }
    return new KafkaEventLog(kafka, admin, producer, options);
  }

  /** The broker's name of a contract topic. */
  private physical(topic: string): string {
    return this.prefix + topic;
  }

  /** The contract name of a broker topic (what handlers see). */
  private logical(topic: string): string {
    return this.prefix && topic.startsWith(this.prefix) ? topic.slice(this.prefix.length) : topic;
  }

  stats(): KafkaEventLogStats {
    return { consumerRestarts: new Map(this.restarts), undecodableBatches: new Map(this.undecodable), skippedBatches: new Map(this.skipped) };
  }

  /**
   * Creates the missing topics. Several apps often start at once on a fresh cluster and race to
   * create the same topics (metadata then briefly says "does not host this topic-partition"): any
   * failure is retried with backoff until every topic exists, and only then does this resolve.
   * With topic creation off, it only checks, and names every missing topic.
   */
  async ensureTopics(specs: readonly TopicSpec[]): Promise<void> {
    const wanted = specs.map((spec) => ({ ...spec, name: this.physical(spec.name) }));
    for (let attempt = 0; ; attempt += 1) {
      try {
        const existing = new Set(await this.admin.listTopics());
        const missing = wanted.filter((spec) => !existing.has(spec.name));
        if (missing.length === 0) return;
        if (this.options.createTopics === false) throw new MissingTopicsError(missing.map((spec) => spec.name));
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
        if (error instanceof MissingTopicsError || attempt >= 12) throw error;
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
    const send = this.sendInChunks(this.physical(topic), messages);
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
    const compression = compressionType(this.options.compression ?? 'gzip');
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

  /**
   * A group subscription that never dies silently: a crash of its kafkajs consumer (a batch it cannot
   * decode, a failed commit, brokers gone past the client's retries) recreates the consumer after a
   * backoff, forever until close(); status() says `restarting` with the error meanwhile, and
   * `consuming` once a fetch succeeds again. Nothing is committed past what handlers acknowledged, so
   * the new consumer reads on from the last commit: no record is lost or skipped, but for a batch that
   * never decodes, which is dead-lettered first (undecodableBatches).
   */
  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    const status = new SubscriptionStatusTracker();
    const maxBatch = options.maxBatchRecords ?? 1_000;
    const topics = options.topics.map((topic) => this.physical(topic));
    const logger = this.options.logger ?? console;
    const backoffStart = this.options.restartBackoffStartMs ?? 500;
    const backoffMax = this.options.restartBackoffMaxMs ?? 30_000;
    let stopping = false;
    let current: Consumer | undefined;
    let restartTimer: NodeJS.Timeout | undefined;
    let failures = 0;
    // After a crash, `consuming` again only once a fetch came back (a group join alone proves nothing:
    // the batch that crashed it is fetched again right after).
    let recovering = false;

    const recovered = () => {
      if (!recovering) return;
      recovering = false;
      failures = 0;
      status.enter('consuming');
    };

    // A consumer's crash is handled once, even when both its CRASH event and its launch report it.
    const handled = new WeakSet<Consumer>();
    let launching: Promise<void> | undefined;
    // The undecodable batch met on the last crashes (same partition and offset), and how often in a row.
    let sameBatch: { readonly key: string; readonly count: number } | undefined;
    // Offsets of batches given up on (dead-lettered): their placeholder records are left out.
    const skipped: { readonly topic: string; readonly partition: number; readonly base: bigint; readonly last: bigint }[] = [];

    /** Recreates the consumer after the backoff; whatever fails on the way schedules the next try. */
    const scheduleRestart = (previous: Consumer | undefined, error: unknown, undecodable?: UndecodableBatchError) => {
      failures += 1;
      recovering = true;
      this.restarts.set(options.groupId, (this.restarts.get(options.groupId) ?? 0) + 1);
      status.enter('restarting', errorText(error));
      const delay = Math.min(backoffStart * 2 ** Math.min(failures - 1, 16), backoffMax);
      const located = undecodable ? this.locateBatch(options.groupId, topics, undecodable) : undefined;
      if (undecodable && located) {
        this.undecodable.set(options.groupId, (this.undecodable.get(options.groupId) ?? 0) + 1);
        void located.then((where) =>
          logger.error(
            `event log: group ${options.groupId}: ${undecodable.message}; on ${where.text}. The consumer restarts in ${delay} ms and reads it again`,
          ),
        );
      } else {
        logger.error(`event log: group ${options.groupId}: consumer failed (${errorText(error)}); recreating it in ${delay} ms`);
      }
      restartTimer = setTimeout(() => {
        restartTimer = undefined;
        launching = (async () => {
          await previous?.disconnect().catch(() => undefined);
          if (stopping) return;
          if (undecodable && located) await skipIfHopeless(undecodable, (await located).candidates);
          if (stopping) return;
          await launch();
        })().catch((restartError: unknown) => {
          // A restart already scheduled (the new consumer's own crash) is the one that goes on.
          if (stopping || restartTimer) return;
          scheduleRestart(undefined, restartError);
        });
      }, delay);
    };

    /**
     * The same batch failed to decode `skipAfterAttempts` times in a row, and it is known to sit on
     * exactly one partition: it is dead-lettered (its compressed bytes and where it was), and only once
     * that is acknowledged is it skipped. Otherwise nothing is skipped.
     */
    const skipIfHopeless = async (undecodable: UndecodableBatchError, candidates: readonly { topic: string; partition: number }[]) => {
      const policy = this.options.undecodableBatches;
      const coordinates = undecodable.coordinates;
      if (!policy || policy.skipAfterAttempts <= 0 || !coordinates || candidates.length !== 1) return;
      const [{ topic, partition }] = candidates;
      const key = `${topic}|${partition}|${coordinates.baseOffset}`;
      sameBatch = sameBatch?.key === key ? { key, count: sameBatch.count + 1 } : { key, count: 1 };
      if (sameBatch.count < policy.skipAfterAttempts) return;
      const deadLetter = policy.deadLetter({
        groupId: options.groupId,
        topic: this.logical(topic),
        partition,
        ...coordinates,
        codec: undecodable.codec,
        reason: undecodable.message,
        compressed: undecodable.compressed,
        attempts: sameBatch.count,
      });
      await this.publish(deadLetter.topic, [deadLetter.record]);
      skipped.push({ topic, partition, base: BigInt(coordinates.baseOffset), last: BigInt(coordinates.lastOffset) });
      giveUpOnBatch(coordinates);
      sameBatch = undefined;
      this.skipped.set(options.groupId, (this.skipped.get(options.groupId) ?? 0) + 1);
      logger.error(
        `event log: group ${options.groupId}: gave up on the ${undecodable.codec} batch at ${topic}[${partition}] offsets ${coordinates.baseOffset}..${coordinates.lastOffset} after ${policy.skipAfterAttempts} attempts: dead-lettered to ${deadLetter.topic} and skipped`,
      );
    };

    const crashed = (consumer: Consumer, error: unknown) => {
      if (stopping || consumer !== current || handled.has(consumer)) return;
      handled.add(consumer);
      this.consumers.delete(consumer);
      scheduleRestart(consumer, error, findUndecodable(error));
    };

    const launch = async () => {
      const consumer = this.kafka.consumer({
        ...consumerConfig(options.groupId),
        // Every crash is restarted here (a new consumer, with this backoff), retriable or not for kafkajs.
        retry: { initialRetryTime: 200, retries: 10, restartOnFailure: async () => false },
      });
      current = consumer;
      const held = new HeldPartitions();
      // A revoked partition is no longer this member's to hold (its new owner starts from the last
      // commit); one kept through the rebalance stays paused until its time. STOP, emitted by close()
      // and by a crash alike, drops every hold (a recreated consumer starts with nothing paused).
      const logicalAssignment = (assignment: Readonly<Record<string, readonly number[]>>) =>
        Object.fromEntries(Object.entries(assignment).map(([topic, partitions]) => [this.logical(topic), partitions]));
      consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
        held.keepOnly(logicalAssignment(payload.memberAssignment));
        if (!recovering) status.enter('consuming');
      });
      consumer.on(consumer.events.STOP, () => held.clear());
      consumer.on(consumer.events.FETCH, () => recovered());
      consumer.on(consumer.events.CRASH, ({ payload }) => crashed(consumer, payload.error));
      this.consumers.add(consumer);
      try {
        await consumer.connect();
        for (const topic of topics) await consumer.subscribe({ topic, fromBeginning: options.fromBeginning ?? true });
        await consumer.run({
          autoCommit: false,
          eachBatchAutoResolve: false,
          // Several partitions at once: a slow partition does not hold up the others within a fetch.
          partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently ?? 4,
          eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale, commitOffsetsIfNecessary, pause }) => {
            const { partition } = batch;
            const topic = this.logical(batch.topic);
            const given = skipped.filter((range) => range.topic === batch.topic && range.partition === partition);
            const messages =
              given.length === 0
                ? batch.messages
                : batch.messages.filter((message) => !given.some((range) => BigInt(message.offset) >= range.base && BigInt(message.offset) <= range.last));
            if (messages.length === 0 && batch.messages.length > 0) {
              // Nothing but placeholders of a dead-lettered batch: commit past them.
              const last = batch.messages[batch.messages.length - 1].offset;
              resolveOffset(last);
              await commitOffsetsIfNecessary({ topics: [{ topic: batch.topic, partitions: [{ partition, offset: (BigInt(last) + 1n).toString() }] }] });
              return;
            }
            for (const [start, end] of handlerSlices(messages, maxBatch)) {
              if (!isRunning() || isStale() || stopping) return;
              let pending = messages.slice(start, end);
              let delay = RETRY_BACKOFF_START_MS;
              while (pending.length > 0) {
                let result: void | BatchResult;
                try {
                  result = await options.handler({ topic, partition, records: pending.map((message) => toLogRecord(topic, partition, message)) });
                  recovered();
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
                    topics: [{ topic: batch.topic, partitions: [{ partition, offset: (BigInt(last) + 1n).toString() }] }],
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
      } catch (error) {
        this.consumers.delete(consumer);
        await consumer.disconnect().catch(() => undefined);
        throw error;
      }
    };

    // The first start fails the call (the caller's startup sees it); later ones retry forever.
    await launch();
    return {
      status: () => status.current,
      close: async () => {
        stopping = true;
        status.enter('closed');
        if (restartTimer) clearTimeout(restartTimer);
        // A recreation under way finishes first, so the consumer it made is the one disconnected.
        await launching;
        const consumer = current;
        if (!consumer) return;
        this.consumers.delete(consumer);
        await consumer.disconnect();
      },
    };
  }

  /**
   * Where an undecodable batch may sit: its offsets come from its own header, but kafkajs does not say
   * which partition it was fetching, so this names the subscribed partitions whose unconsumed range
   * (last commit .. end) holds those offsets — one, unless partitions have similar offsets.
   */
  private async locateBatch(
    groupId: string,
    topics: readonly string[],
    error: UndecodableBatchError,
  ): Promise<{ readonly candidates: readonly { topic: string; partition: number }[]; readonly text: string }> {
    const base = error.coordinates ? BigInt(error.coordinates.baseOffset) : undefined;
    const unknown = { candidates: [], text: `one of ${topics.join(', ')}` };
    try {
      const candidates: { topic: string; partition: number }[] = [];
      for (const topic of topics) {
        const committed = await this.admin.fetchOffsets({ groupId, topics: [topic] });
        const committedBy = new Map(committed.flatMap((entry) => entry.partitions.map((p) => [p.partition, BigInt(p.offset)] as const)));
        for (const entry of await this.admin.fetchTopicOffsets(topic)) {
          const from = committedBy.get(entry.partition) ?? -1n;
          const start = from >= 0n ? from : BigInt(entry.low);
          const last = error.coordinates ? BigInt(error.coordinates.lastOffset) : undefined;
          if (base === undefined || last === undefined || (last >= start && base < BigInt(entry.high))) candidates.push({ topic, partition: entry.partition });
        }
      }
      if (candidates.length === 0) return unknown;
      return { candidates: base === undefined ? [] : candidates, text: `topic-partition ${candidates.map((c) => `${c.topic}[${c.partition}]`).join(' or ')}` };
    } catch {
      return unknown;
    }
  }

  /**
   * kafkajs has no manual partition assignment, so a tail is a consumer of a throwaway group of its
   * own (`<clientId>-tail-<random>`): it reads from the beginning, never commits (autoCommit off,
   * no commitOffsets), and the group is deleted on close. The handler's progress is kept in memory
   * for `caughtUp`, which snapshots the end offsets when called. A crash of its consumer recreates it
   * after a backoff, seeking each partition to the first record the handler has not applied.
   */
  async tail(options: TailOptions): Promise<Tail> {
    const groupId = `${this.options.clientId}-tail-${randomUUID()}`;
    const topics = [...new Set(options.topics)].map((topic) => this.physical(topic));
    const progress = new TailProgress();
    const maxBatch = options.maxBatchRecords ?? 1_000;
    const logger = this.options.logger ?? console;
    const backoffStart = this.options.restartBackoffStartMs ?? 500;
    const backoffMax = this.options.restartBackoffMaxMs ?? 30_000;
    // The next offset per partition the handler has not applied yet: a recreated consumer seeks there,
    // so a restart neither skips nor hands over again what the handler applied.
    const positions = new Map<string, string>();
    const positionKey = (topic: string, partition: number) => `${partition}|${topic}`;
    const handled = new WeakSet<Consumer>();
    let stopping = false;
    let current: Consumer | undefined;
    let restartTimer: NodeJS.Timeout | undefined;
    let launching: Promise<void> | undefined;
    let failures = 0;

    const scheduleRestart = (previous: Consumer | undefined, error: unknown) => {
      failures += 1;
      const delay = Math.min(backoffStart * 2 ** Math.min(failures - 1, 16), backoffMax);
      // Counted under one name for the process's tails (their group ids are random).
      const tailsKey = `${this.options.clientId}-tail`;
      this.restarts.set(tailsKey, (this.restarts.get(tailsKey) ?? 0) + 1);
      logger.error(`event log tail ${groupId}: consumer failed (${errorText(error)}); recreating it in ${delay} ms, from where its handler is`);
      restartTimer = setTimeout(() => {
        restartTimer = undefined;
        launching = (async () => {
          await previous?.disconnect().catch(() => undefined);
          if (!stopping) await launch();
        })().catch((restartError: unknown) => {
          if (stopping || restartTimer) return;
          scheduleRestart(undefined, restartError);
        });
      }, delay);
    };

    const crashed = (consumer: Consumer, error: unknown) => {
      if (stopping || consumer !== current || handled.has(consumer)) return;
      handled.add(consumer);
      this.consumers.delete(consumer);
      scheduleRestart(consumer, error);
    };

    const launch = async () => {
      const consumer = this.kafka.consumer({
        ...consumerConfig(groupId),
        retry: { initialRetryTime: 200, retries: 10, restartOnFailure: async () => false },
      });
      current = consumer;
      // Before the first fetch of a recreated consumer (kafkajs applies seeks at the start of each fetch).
      consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
        for (const [topic, partitions] of Object.entries(payload.memberAssignment)) {
          for (const partition of partitions) {
            const next = positions.get(positionKey(topic, partition));
            if (next !== undefined) consumer.seek({ topic, partition, offset: next });
          }
        }
      });
      consumer.on(consumer.events.FETCH, () => {
        failures = 0;
      });
      consumer.on(consumer.events.CRASH, ({ payload }) => crashed(consumer, payload.error));
      this.consumers.add(consumer);
      try {
        await consumer.connect();
        for (const topic of topics) await consumer.subscribe({ topic, fromBeginning: true });
        await consumer.run({
          autoCommit: false,
          eachBatchAutoResolve: false,
          partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently ?? 4,
          eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
            const { partition } = batch;
            const topic = this.logical(batch.topic);
            for (const [start, end] of handlerSlices(batch.messages, maxBatch)) {
              const chunk = batch.messages.slice(start, end);
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
              const next = BigInt(last) + 1n;
              positions.set(positionKey(batch.topic, partition), next.toString());
              progress.advanced(batch.topic, partition, next);
              await heartbeat();
            }
          },
        });
      } catch (error) {
        this.consumers.delete(consumer);
        await consumer.disconnect().catch(() => undefined);
        throw error;
      }
    };

    await launch();
    let closed: Promise<void> | undefined;
    return {
      caughtUp: async (caughtUpOptions) => {
        // The whole call keeps to its timeout, the end-offsets lookup included: a broker that does not
        // answer is "not caught up" (retriable), not a hang for kafkajs's whole retry budget.
        const timeoutMs = caughtUpOptions?.timeoutMs ?? DEFAULT_CAUGHT_UP_TIMEOUT_MS;
        const started = Date.now();
        let timer: NodeJS.Timeout | undefined;
        let settled = false;
        const lookup = (async () => {
          const targets = [];
          for (const topic of topics) {
            // A topic just created (replicas of a new deployment starting at once) may not have a
            // leader yet: that answer is retriable, asked again until the timeout rather than fatal.
            let offsets: Awaited<ReturnType<Admin['fetchTopicOffsets']>>;
            for (let attempt = 1; ; attempt++) {
              try {
                offsets = await this.admin.fetchTopicOffsets(topic);
                break;
              } catch (error) {
                if (settled || !isRetriableKafkaError(error) || Date.now() - started >= timeoutMs) throw error;
                await delayFor(Math.min(50 * attempt, 500));
              }
            }
            for (const entry of offsets) {
              targets.push({ topic, partition: entry.partition, startOffset: BigInt(entry.low), endOffset: BigInt(entry.high) });
            }
          }
          return targets;
        })();
        const expired = new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new TailNotCaughtUpError(`tail not caught up within ${timeoutMs} ms: the end offsets of ${topics.join(', ')} were not known in time`)),
            timeoutMs,
          );
        });
        let targets;
        try {
          targets = await Promise.race([lookup, expired]);
        } catch (error) {
          settled = true;
          lookup.catch(() => undefined);
          if (error instanceof TailNotCaughtUpError) throw error;
          throw new EventLogUnavailableError(`the end offsets of ${topics.join(', ')} could not be read: ${describe(error)}`, error);
        } finally {
          clearTimeout(timer);
        }
        await progress.caughtUp(targets, { timeoutMs: Math.max(1, timeoutMs - (Date.now() - started)) });
      },
      close: () => {
        closed ??= (async () => {
          stopping = true;
          progress.close();
          if (restartTimer) clearTimeout(restartTimer);
          await launching;
          const consumer = current;
          if (consumer) {
            this.consumers.delete(consumer);
            await consumer.disconnect();
          }
          try {
            await this.admin.deleteGroups([groupId]);
          } catch (error) {
            // Only housekeeping: an empty group without offsets expires on the broker by itself.
            logger.warn(`event log tail: could not delete its group ${groupId}: ${describe(error)}`);
          }
        })();
        return closed;
      },
    };
  }

  async committedOffsets(groupId: string, topic: string): Promise<Map<number, string>> {
    const result = new Map<number, string>();
    const offsets = await this.admin.fetchOffsets({ groupId, topics: [this.physical(topic)] });
    for (const entry of offsets) {
      for (const partition of entry.partitions) {
        if (partition.offset !== '-1') result.set(partition.partition, partition.offset);
      }
    }
    return result;
  }

  async endOffsets(topic: string): Promise<Map<number, string>> {
    const offsets = await this.admin.fetchTopicOffsets(this.physical(topic));
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

/** kafkajs marks the answers worth asking again (no leader yet, a leader that moved, a topic not yet known to this broker). */
function isRetriableKafkaError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { retriable?: unknown }).retriable === true;
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

/** The undecodable-batch error behind a crash: in its cause chain, or the one its message was copied from. */
function findUndecodable(error: unknown): UndecodableBatchError | undefined {
  for (let at: unknown = error, depth = 0; at instanceof Error && depth < 8; at = at.cause, depth += 1) {
    if (at instanceof UndecodableBatchError) return at;
    const copiedFrom = undecodableBatchFor(at.message);
    if (copiedFrom) return copiedFrom;
  }
  return undefined;
}

/** kafkajs's ssl and sasl settings from the adapter's options. */
function securityConfig(options: KafkaEventLogOptions): Pick<KafkaConfig, 'ssl' | 'sasl'> {
  const config: { ssl?: KafkaConfig['ssl']; sasl?: SASLOptions } = {};
  if (options.tls) {
    const tls = options.tls;
    config.ssl = {
      rejectUnauthorized: tls.rejectUnauthorized ?? true,
      ...(tls.ca !== undefined ? { ca: [tls.ca] } : {}),
      ...(tls.cert !== undefined ? { cert: tls.cert } : {}),
      ...(tls.key !== undefined ? { key: tls.key } : {}),
      ...(tls.keyPassword !== undefined ? { passphrase: tls.keyPassword } : {}),
      ...(tls.servername !== undefined ? { servername: tls.servername } : {}),
    };
  }
  if (options.sasl) {
    const sasl = options.sasl;
    config.sasl =
      sasl.mechanism === 'oauthbearer'
        ? { mechanism: 'oauthbearer', oauthBearerProvider: async () => ({ value: await sasl.token() }) }
        : sasl.mechanism === 'plain'
          ? { mechanism: 'plain', username: sasl.username, password: sasl.password }
          : sasl.mechanism === 'scram-sha-256'
            ? { mechanism: 'scram-sha-256', username: sasl.username, password: sasl.password }
            : { mechanism: 'scram-sha-512', username: sasl.username, password: sasl.password };
  }
  return config;
}

/** The Subscription.status() of a kafkajs consumer, moved by its events and the handler's outcomes. */
class SubscriptionStatusTracker {
  current: SubscriptionStatus = { state: 'consuming', sinceMs: Date.now() };

  enter(state: SubscriptionState, lastError?: string): void {
    if (this.current.state === 'closed') return;
    if (state === this.current.state && lastError === this.current.lastError) return;
    this.current = { state, sinceMs: state === this.current.state ? this.current.sinceMs : Date.now(), ...(lastError ? { lastError } : {}) };
  }

  /** A handler call succeeded: a retrying or restarted consumer is consuming again. */
  recovered(): void {
    if (this.current.state === 'retrying' || this.current.state === 'restarting') this.enter('consuming');
  }
}

/**
 * The most value bytes handed to one handler call: a message may be a frame of a thousand records
 * (record-frames.ts), so a count of messages alone does not bound the handler's work, and a handler
 * that runs past the session timeout (10 s) loses its partitions and sees the batch again. 1 MiB is
 * about 4,000 ingress records or 800 enriched flows: the work of the 5,000-record polls before frames.
 */
export const MAX_HANDLER_BATCH_BYTES = 1024 * 1024;

/** Consecutive [start, end) slices of at most `maxMessages` messages and MAX_HANDLER_BATCH_BYTES of values (a larger message alone). */
export function handlerSlices(messages: readonly { readonly value: Buffer | null }[], maxMessages: number): Array<[number, number]> {
  const slices: Array<[number, number]> = [];
  let start = 0;
  let bytes = 0;
  for (let index = 0; index < messages.length; index += 1) {
    const size = messages[index].value?.length ?? 0;
    if (index > start && (index - start >= maxMessages || bytes + size > MAX_HANDLER_BATCH_BYTES)) {
      slices.push([start, index]);
      start = index;
      bytes = 0;
    }
    bytes += size;
  }
  if (start < messages.length) slices.push([start, messages.length]);
  return slices;
}

/** Registers the codecs kafkajs lacks (snappy, lz4, zstd) with kafkajs, for raw kafkajs clients in the same process (the bench's floor). */
export { registerKafkaCodecs } from './kafka.codecs';
