import type { BatchHandler, Tail } from '../event-log.port';
import { TailProgress } from '../tail-progress';
import { WakeSignal, type AppendNotifier } from './append.notifier';
import type { EmbeddedEventLogLogger } from './embedded-event-log.types';
import { GroupSubscriptionConsumer, type ConsumablePartition } from './group-subscription.consumer';

/**
 * The consumers over a list of partition logs shared by the embedded and in-memory adapters: a
 * group subscription and a groupless tail, each a GroupSubscriptionConsumer woken by the adapter's
 * append notifier. The adapter keeps what differs: validation, where offsets live, its logger.
 */
export interface PartitionConsumerParams {
  readonly notifier: AppendNotifier;
  readonly logger: EmbeddedEventLogLogger;
  /** Distinct topics, in the order of `partitions`. */
  readonly topics: readonly string[];
  readonly partitions: readonly ConsumablePartition[];
  readonly maxBatchRecords: number;
  readonly handler: BatchHandler;
  /** Called with the consumer before it starts (the adapter tracks it to close it). */
  readonly track: (consumer: GroupSubscriptionConsumer) => void;
  /** Called once the consumer stopped, after it was unregistered from the notifier. */
  readonly untrack: (consumer: GroupSubscriptionConsumer) => void;
}

export interface GroupSubscriptionStartParams extends PartitionConsumerParams {
  readonly groupId: string;
  /** Where a partition without a committed offset starts: its first retained offset, or its end. */
  readonly fromBeginning: boolean;
  /** The group's committed next offset of a partition, if it has one. */
  readonly committed: (topic: string, partition: number) => number | undefined;
  /** Persists the group's next offset of a partition. */
  readonly commit: (topic: string, partition: number, nextOffset: number) => Promise<void>;
}

/** Starts the delivery loop of a consumer group, from its committed offsets. */
export function startGroupSubscription(params: GroupSubscriptionStartParams): GroupSubscriptionConsumer {
  const { partitions, fromBeginning } = params;
  const positions = partitions.map(
    (partition) => params.committed(partition.topic, partition.partition) ?? (fromBeginning ? partition.startOffset : partition.endOffset),
  );
  return startConsumer(params, `group ${params.groupId}`, positions, params.commit);
}

/**
 * Starts a groupless reader: from each partition's first retained offset, following appends, with
 * progress kept in memory only (for `caughtUp`).
 */
export function startTail(params: PartitionConsumerParams): Tail {
  const { partitions } = params;
  const progress = new TailProgress();
  const consumer = startConsumer(
    params,
    `tail of ${params.topics.join(', ')}`,
    partitions.map((partition) => partition.startOffset),
    async (topic, partition, nextOffset) => progress.advanced(topic, partition, BigInt(nextOffset)),
  );
  return {
    // endOffset only counts appended records (durable ones in the embedded log), so it includes
    // everything whose publish resolved.
    caughtUp: (caughtUpOptions) =>
      progress.caughtUp(
        partitions.map((partition) => ({
          topic: partition.topic,
          partition: partition.partition,
          startOffset: BigInt(partition.startOffset),
          endOffset: BigInt(partition.endOffset),
        })),
        caughtUpOptions,
      ),
    close: async () => {
      progress.close();
      await consumer.close();
    },
  };
}

function startConsumer(
  params: PartitionConsumerParams,
  name: string,
  positions: readonly number[],
  commit: (topic: string, partition: number, nextOffset: number) => Promise<void>,
): GroupSubscriptionConsumer {
  const { notifier, topics } = params;
  const signal = new WakeSignal();
  const consumer = new GroupSubscriptionConsumer({
    name,
    partitions: params.partitions,
    positions,
    maxBatchRecords: params.maxBatchRecords,
    handler: params.handler,
    commit,
    signal,
    logger: params.logger,
    onClosed: () => {
      notifier.unregister(topics, signal);
      params.untrack(consumer);
    },
  });
  notifier.register(topics, signal);
  params.track(consumer);
  consumer.start();
  return consumer;
}
