import type { EventLog, OutgoingRecord, RecordBatch, SubscribeOptions, Subscription, Tail, TailOptions, TopicSpec } from '@telemetry/event-log';

export interface Renames {
  /** Contract topic name → the topic actually used. */
  readonly topics: Readonly<Record<string, string>>;
  /** Consumer group id the product uses → the group actually used. */
  readonly groups: Readonly<Record<string, string>>;
}

/**
 * An EventLog that renames topics and consumer groups on the way to the real one. The benchmark's
 * Kafka runs use unique topics and groups (no history, and no sharing of the product's fixed group
 * ids with other processes on the same broker) while the product code keeps its contract names.
 * Batches handed to subscribers carry the contract topic name again, so the enricher core (which
 * picks the decoder by topic name) sees what it sees in production; records keep their real
 * coordinates. The cost is one object spread per delivered batch.
 */
export class TopicRemappingEventLog implements EventLog {
  private readonly back: ReadonlyMap<string, string>;

  constructor(
    private readonly inner: EventLog,
    private readonly renames: Renames,
  ) {
    this.back = new Map(Object.entries(renames.topics).map(([contract, actual]) => [actual, contract]));
  }

  private topic(name: string): string {
    return this.renames.topics[name] ?? name;
  }

  private group(id: string): string {
    return this.renames.groups[id] ?? id;
  }

  ensureTopics(specs: readonly TopicSpec[]): Promise<void> {
    return this.inner.ensureTopics(specs.map((spec) => ({ ...spec, name: this.topic(spec.name) })));
  }

  publish(topic: string, records: readonly OutgoingRecord[]): Promise<void> {
    return this.inner.publish(this.topic(topic), records);
  }

  subscribe(options: SubscribeOptions): Promise<Subscription> {
    return this.inner.subscribe({
      ...options,
      groupId: this.group(options.groupId),
      topics: options.topics.map((topic) => this.topic(topic)),
      handler: (batch) => options.handler(this.contractBatch(batch)),
    });
  }

  tail(options: TailOptions): Promise<Tail> {
    return this.inner.tail({
      ...options,
      topics: options.topics.map((topic) => this.topic(topic)),
      handler: (batch) => options.handler(this.contractBatch(batch)),
    });
  }

  private contractBatch(batch: RecordBatch): RecordBatch {
    return { ...batch, topic: this.back.get(batch.topic) ?? batch.topic };
  }

  committedOffsets(groupId: string, topic: string): Promise<Map<number, string>> {
    return this.inner.committedOffsets(this.group(groupId), this.topic(topic));
  }

  endOffsets(topic: string): Promise<Map<number, string>> {
    return this.inner.endOffsets(this.topic(topic));
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
