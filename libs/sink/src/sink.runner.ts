import {
  deadLetterHeader,
  enrichedFlowRecords,
  enrichedKeyFieldsFromHeaders,
  HEADERS,
  sinkDeadLetterTopic,
  sinkRetryTopic,
  sinkTopicSpecs,
  TOPICS,
} from '@telemetry/contracts';
import type { BatchResult, EventLog, LogRecord, OutgoingRecord, RecordBatch, Subscription, TopicSpec } from '@telemetry/event-log';
import { Exporter, ItemOutcome, SinkConfigurationError, SinkItem } from './exporter.port';
import { BatchLimits, splitIntoBatches } from './sink-batches';
import { routeOutcomes } from './sink-routing';

export interface SinkConsumerPlan {
  /** The group's name without the deployment prefix. */
  readonly group: string;
  readonly topic: string;
  readonly maxBatchRecords: number;
}

export interface SinkConsumerGroup extends SinkConsumerPlan {
  readonly handle: (batch: RecordBatch) => Promise<void | BatchResult>;
}

/**
 * The consumer groups of a sink: the main topic, and one group per retry topic (a retry partition
 * pauses until its next record is due without holding up the others).
 */
export function sinkConsumerPlan(options: Pick<SinkRunnerOptions, 'sink' | 'retryDelaysMs' | 'batch' | 'sourceTopic'>): SinkConsumerPlan[] {
  const { sink, retryDelaysMs, batch } = options;
  return [
    { group: `sink-${sink}`, topic: options.sourceTopic ?? TOPICS.enriched, maxBatchRecords: batch.maxRecords * 4 },
    ...retryDelaysMs.map((_, index) => ({
      group: `sink-${sink}-retry-${index + 1}`,
      topic: sinkRetryTopic(sink, index + 1),
      maxBatchRecords: batch.maxRecords,
    })),
  ];
}

export interface SinkRunnerOptions {
  readonly sink: string;
  readonly groupPrefix: string;
  readonly retryDelaysMs: readonly number[];
  readonly batch: BatchLimits;
  readonly partitions: number;
  /** The topic delivered from; telemetry.enriched.v1 unless told otherwise (tests, replays). */
  readonly sourceTopic?: string;
  readonly now?: () => number;
}

/** What the runner reports, so the Nest adapter can turn it into metrics and logs. */
export interface SinkObserver {
  delivered(count: number, batchSize: number, seconds: number): void;
  retried(errorClass: string, count: number): void;
  deadLettered(errorClass: string, count: number): void;
  paused(reason: string | null): void;
}

/**
 * One sink, as a checklist: read a polled batch (the main topic or a retry topic once due) → the
 * exporter, per destination request → route each item it did not take to the next retry topic or
 * the dead-letter topic (one send per topic) → commit only then. A destination outage never blocks
 * the main topic for long: failing items move to retry topics, whose consumers pause a partition
 * until its next record is due.
 */
export class SinkRunner {
  private readonly subscriptions: Subscription[] = [];
  private readonly now: () => number;

  constructor(
    private readonly log: EventLog,
    private readonly exporter: Exporter,
    private readonly options: SinkRunnerOptions,
    private readonly observer: SinkObserver,
  ) {
    this.now = options.now ?? Date.now;
  }

  /** Topics this sink writes, created when missing. */
  topicSpecs(): TopicSpec[] {
    return sinkTopicSpecs(this.options.sink, this.options.retryDelaysMs, this.options.partitions);
  }

  /** The apps run these as event-log transport handlers (createSinkConsumer); `start` subscribes them directly. */
  consumerGroups(): SinkConsumerGroup[] {
    return sinkConsumerPlan(this.options).map((plan, index) => ({
      ...plan,
      handle: index === 0 ? (batch: RecordBatch) => this.handleMain(batch) : (batch: RecordBatch) => this.handleRetry(batch),
    }));
  }

  /** Creates the topics this sink writes; call before its consumers start. */
  async prepare(): Promise<void> {
    await this.log.ensureTopics(this.topicSpecs());
  }

  /** Runs the consumer groups on the event log directly (the library use: tests, the bench). */
  async start(): Promise<void> {
    await this.prepare();
    for (const consumer of this.consumerGroups()) {
      this.subscriptions.push(
        await this.log.subscribe({
          groupId: `${this.options.groupPrefix}-${consumer.group}`,
          topics: [consumer.topic],
          fromBeginning: true,
          maxBatchRecords: consumer.maxBatchRecords,
          handler: consumer.handle,
        }),
      );
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.subscriptions.splice(0).map((subscription) => subscription.close()));
  }

  /** A small batch waits (up to maxWaitMs after its oldest record was written) to fill a request. */
  async handleMain(batch: RecordBatch): Promise<void | BatchResult> {
    // Frames become one record per flow (same offset): requests are cut by flows, not by messages.
    const records = enrichedFlowRecords(batch.records);
    const maxWait = this.options.batch.maxWaitMs ?? 0;
    if (maxWait > 0 && records.length < this.options.batch.maxRecords) {
      // Never longer than maxWait from now, whatever clock stamped the record.
      const now = this.now();
      const sendAt = Math.min(records[0].timestamp, now) + maxWait;
      if (sendAt > now) return { consumed: 0, retryAtMs: sendAt };
    }
    await this.deliver(records);
    return undefined;
  }

  /** Records of the source topic this sink has not committed yet (consumer lag). */
  async lag(): Promise<number> {
    const topic = this.options.sourceTopic ?? TOPICS.enriched;
    const [end, committed] = await Promise.all([
      this.log.endOffsets(topic),
      this.log.committedOffsets(`${this.options.groupPrefix}-${this.consumerGroups()[0].group}`, topic),
    ]);
    let lag = 0n;
    for (const [partition, offset] of end) lag += BigInt(offset) - BigInt(committed.get(partition) ?? '0');
    return Number(lag);
  }

  /** Delivers the records that are due; the rest waits (the partition pauses) until the next one is. */
  async handleRetry(batch: RecordBatch): Promise<void | BatchResult> {
    const now = this.now();
    const due = batch.records.findIndex((record) => Number(deadLetterHeader(record.headers, 'notBefore') ?? 0) > now);
    if (due === -1) {
      await this.deliver(batch.records);
      return undefined;
    }
    if (due > 0) await this.deliver(batch.records.slice(0, due));
    return { consumed: due, retryAtMs: Number(deadLetterHeader(batch.records[due].headers, 'notBefore')) };
  }

  private async deliver(records: readonly LogRecord[]): Promise<void> {
    const { items, undecodable } = decode(records);
    const outgoing = new Map<string, OutgoingRecord[]>();
    if (undecodable.length > 0) {
      const routed = routeOutcomes(
        undecodable.map((entry) => entry.item),
        undecodable.map((entry) => entry.outcome),
        this.policy(),
        this.now(),
      );
      this.collect(outgoing, routed.retries, routed.deadLetters);
      for (const [errorClass, count] of routed.deadLetteredByClass) this.observer.deadLettered(errorClass, count);
    }
    for (const request of splitIntoBatches(items, this.options.batch)) {
      const started = this.now();
      let outcomes: ItemOutcome[];
      try {
        outcomes = await this.exporter.export(request);
        this.observer.paused(null);
      } catch (error) {
        if (error instanceof SinkConfigurationError) this.observer.paused(`${error.errorClass}: ${error.message}`);
        // Nothing of this polled batch is committed: it is offered again after a backoff.
        throw error;
      }
      const routed = routeOutcomes(request, outcomes, this.policy(), this.now());
      this.observer.delivered(routed.delivered, request.length, (this.now() - started) / 1000);
      for (const [errorClass, count] of routed.retriedByClass) this.observer.retried(errorClass, count);
      for (const [errorClass, count] of routed.deadLetteredByClass) this.observer.deadLettered(errorClass, count);
      this.collect(outgoing, routed.retries, routed.deadLetters);
    }
    // One send per topic; the batch is acknowledged (and committed) only after all of them.
    await Promise.all([...outgoing].map(([topic, list]) => this.log.publish(topic, list)));
  }

  private collect(outgoing: Map<string, OutgoingRecord[]>, retries: ReadonlyMap<string, OutgoingRecord[]>, deadLetters: OutgoingRecord[]): void {
    for (const [topic, list] of retries) outgoing.set(topic, [...(outgoing.get(topic) ?? []), ...list]);
    if (deadLetters.length > 0) {
      const topic = sinkDeadLetterTopic(this.options.sink);
      outgoing.set(topic, [...(outgoing.get(topic) ?? []), ...deadLetters]);
    }
  }

  private policy() {
    return { sink: this.options.sink, retryDelaysMs: this.options.retryDelaysMs };
  }
}

/** Reads the fields a sink needs from each enriched record; what cannot be read goes to the DLQ. */
function decode(records: readonly LogRecord[]): { items: SinkItem[]; undecodable: Array<{ item: SinkItem; outcome: ItemOutcome }> } {
  const items: SinkItem[] = [];
  const undecodable: Array<{ item: SinkItem; outcome: ItemOutcome }> = [];
  for (const record of records) {
    const payload = record.value.toString('utf8');
    // The enricher's key fields, when the record has them (every flow of a frame does): no parse.
    const keys = enrichedKeyFieldsFromHeaders(record.headers);
    if (keys !== undefined) {
      items.push({ eventId: keys.eventId, tenantId: keys.tenantId, payload, ts: keys.tsMs / 1000, source: record });
      continue;
    }
    let parsed: { event_id?: unknown; tenant_id?: unknown; ts?: unknown } | undefined;
    try {
      parsed = JSON.parse(payload) as typeof parsed;
    } catch {
      parsed = undefined;
    }
    const tenantId = typeof parsed?.tenant_id === 'string' ? parsed.tenant_id : (record.headers[HEADERS.tenantId] ?? 'default');
    const item: SinkItem = {
      eventId: typeof parsed?.event_id === 'string' ? parsed.event_id : `${record.topic}-${record.partition}-${record.offset}`,
      tenantId,
      payload,
      ts: typeof parsed?.ts === 'number' ? parsed.ts : record.timestamp / 1000,
      source: record,
    };
    if (!parsed || typeof parsed.event_id !== 'string') {
      undecodable.push({
        item,
        outcome: { kind: 'permanent', errorClass: 'invalid_enriched_record', message: 'not an enriched flow (JSON with an event_id)' },
      });
    } else {
      items.push(item);
    }
  }
  return { items, undecodable };
}
