/**
 * The extras of an event-log handler: `@EventPattern(topic | topics, { group, … } satisfies ConsumerOptions)`.
 * Handlers that name the same group share one subscription (one consumer group over all their
 * topics); each batch goes to the handler of its topic.
 */
export interface ConsumerOptions {
  /** The group's name without the deployment's prefix: the transport makes it `<KAFKA_GROUP_PREFIX>-<group>`. */
  readonly group: string;
  /** Upper bound on records handed to one call. */
  readonly maxBatchRecords?: number;
  /** Where a group with no committed offset starts; defaults to the first retained offset. */
  readonly fromBeginning?: boolean;
  /** The batch span's name (traces); defaults to `consume <group>`. */
  readonly spanName?: string;
}
