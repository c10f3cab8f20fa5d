import { Logger } from '@nestjs/common';
import { CustomTransportStrategy, MessageHandler, Server } from '@nestjs/microservices';
import type { BatchResult, EventLog, RecordBatch, Subscription, SubscriptionStatus } from '@telemetry/event-log';
import { lastValueFrom } from 'rxjs';
import type { ConsumerOptions } from './consumer.options';
import { EventLogContext } from './event-log.context';

export const EVENT_LOG_TRANSPORT = Symbol('EVENT_LOG_TRANSPORT');

export interface EventLogTransportOptions {
  /** Prefix of every consumer-group id (KAFKA_GROUP_PREFIX), so deployments sharing a cluster stay apart. */
  readonly groupPrefix: string;
}

/** One consumer group of this process and what its subscription is doing (readiness reads it). */
export interface ConsumerGroupStatus {
  /** The consumer-group id, prefix included. */
  readonly group: string;
  readonly topics: readonly string[];
  readonly status: SubscriptionStatus;
}

/** Every consumer of this process: `subscribed` once the transport has subscribed every group it declares. */
export interface ConsumerStatuses {
  readonly subscribed: boolean;
  readonly groups: readonly ConsumerGroupStatus[];
}

interface GroupPlan {
  readonly options: ConsumerOptions;
  readonly handlers: Map<string, MessageHandler>;
}

/**
 * A Nest microservice transport over the event-log port (Kafka or embedded): every
 * `@EventPattern(topic, { group, maxBatchRecords })` handler becomes a batch consumer with the
 * port's guarantees. The handler gets one polled batch of one topic-partition; what it answers
 * (nothing, or a BatchResult) goes back to the port; a throw, after the exception filter, means no
 * commit and redelivery. Never Nest's built-in Kafka transport, which commits per message on return.
 */
export class EventLogTransport extends Server implements CustomTransportStrategy {
  private readonly subscriptions: Subscription[] = [];
  /** The subscribed groups, for `statuses()`; kept after close so a closed consumer reads as closed. */
  private readonly groups: Array<{ readonly group: string; readonly topics: readonly string[]; readonly subscription: Subscription }> = [];
  private subscribed = false;
  private readonly transportLogger = new Logger('event-log-transport');

  constructor(
    private readonly log: EventLog,
    private readonly options: EventLogTransportOptions,
  ) {
    super();
  }

  /** Subscribes one consumer group per declared group, over every topic its handlers named. */
  async listen(callback: (error?: unknown) => void): Promise<void> {
    try {
      for (const [groupId, plan] of this.plans()) {
        const topics = [...plan.handlers.keys()];
        const subscription = await this.log.subscribe({
          groupId,
          topics,
          fromBeginning: plan.options.fromBeginning ?? true,
          maxBatchRecords: plan.options.maxBatchRecords,
          handler: (batch) => this.dispatch(groupId, plan, batch),
        });
        this.subscriptions.push(subscription);
        this.groups.push({ group: groupId, topics, subscription });
        this.transportLogger.log(`consuming ${topics.join(', ')} as ${groupId}`);
      }
      this.subscribed = true;
      callback();
    } catch (error) {
      callback(error);
    }
  }

  /** Stops fetching, waits for each group's batch in flight and its commit. */
  async close(): Promise<void> {
    await Promise.all(this.subscriptions.splice(0).map((subscription) => subscription.close()));
  }

  /** What each consumer group of this process is doing; `subscribed` is false until listen() has subscribed them all. */
  statuses(): ConsumerStatuses {
    return {
      subscribed: this.subscribed,
      groups: this.groups.map(({ group, topics, subscription }) => ({ group, topics, status: subscription.status() })),
    };
  }

  on(): never {
    throw new Error('The event-log transport emits no events; use the event log port for its state');
  }

  unwrap<T>(): T {
    return this.log as T;
  }

  private plans(): Map<string, GroupPlan> {
    const plans = new Map<string, GroupPlan>();
    for (const [topic, handler] of this.handlersByTopic()) {
      const options = handler.extras as ConsumerOptions | undefined;
      if (!handler.isEventHandler || !options?.group) {
        throw new Error(`The handler of "${topic}" must be an @EventPattern with a { group } (ConsumerOptions)`);
      }
      const groupId = `${this.options.groupPrefix}-${options.group}`;
      const plan = plans.get(groupId) ?? { options, handlers: new Map<string, MessageHandler>() };
      if (plan.options.maxBatchRecords !== options.maxBatchRecords || plan.options.fromBeginning !== options.fromBeginning) {
        throw new Error(`Handlers of group "${options.group}" disagree on its options (maxBatchRecords, fromBeginning)`);
      }
      if (plan.handlers.has(topic)) throw new Error(`Two handlers of group "${options.group}" for topic ${topic}`);
      plan.handlers.set(topic, handler);
      plans.set(groupId, plan);
    }
    return plans;
  }

  /**
   * Every handler per topic. Nest chains the handlers of one pattern (`next`) and runs them all on
   * each call; here each belongs to its own group (its own offsets, its own pace), so the chain is
   * taken apart and each handler is called alone.
   */
  private handlersByTopic(): Array<[string, MessageHandler]> {
    const entries: Array<[string, MessageHandler]> = [];
    for (const [topic, head] of this.messageHandlers) {
      let handler: MessageHandler | undefined = head;
      while (handler) {
        const next = handler.next as MessageHandler | undefined;
        handler.next = undefined;
        entries.push([topic, handler]);
        handler = next;
      }
    }
    return entries;
  }

  private async dispatch(groupId: string, plan: GroupPlan, batch: RecordBatch): Promise<void | BatchResult> {
    const handler = plan.handlers.get(batch.topic);
    if (!handler) throw new Error(`No handler of group ${groupId} for topic ${batch.topic}`);
    const context = new EventLogContext([groupId, batch.topic, batch.partition, plan.options]);
    const result = this.transformToObservable(await handler(batch, context));
    // The handler's work is acknowledged when its observable completes; only then may the port commit.
    return (await lastValueFrom(result, { defaultValue: undefined })) as void | BatchResult;
  }
}
