import { Inject, Type } from '@nestjs/common';
import { EventPattern } from '@nestjs/microservices';
import type { BatchResult, RecordBatch } from '@telemetry/event-log';
import { ConsumerOptions, EventLogConsumer } from '@telemetry/platform';
import type { SinkConsumerPlan } from './sink.runner';
import { SinkRunnerService } from './sink-runner.service';

type SinkHandler = (this: { readonly service: SinkRunnerService }, batch: RecordBatch) => Promise<void | BatchResult>;

/**
 * The event-log handlers of one configured sink: a Nest controller with one `@EventPattern` per
 * consumer group of its SinkRunner (the main topic and each retry topic). Sinks and their retry
 * topics are known only once the configuration is read (which destinations, how many retry delays),
 * so the class is made per sink when the module is built, from validated config, never from the
 * environment directly.
 */
export function createSinkConsumer(sink: string, serviceToken: symbol, groups: readonly SinkConsumerPlan[]): Type<unknown> {
  class SinkConsumer {
    constructor(@Inject(serviceToken) readonly service: SinkRunnerService) {}
  }
  groups.forEach((group, index) => {
    const method = `consume${index}`;
    const handler: SinkHandler = function handle(batch) {
      return this.service.handle(index, batch);
    };
    Object.defineProperty(SinkConsumer.prototype, method, { value: handler, writable: true, configurable: true });
    const options: ConsumerOptions = {
      group: group.group,
      maxBatchRecords: group.maxBatchRecords,
      spanName: `sink ${sink} ${index === 0 ? 'deliver' : `retry ${index}`}`,
    };
    EventPattern(group.topic, options)(SinkConsumer.prototype, method, Object.getOwnPropertyDescriptor(SinkConsumer.prototype, method) as PropertyDescriptor);
  });
  Object.defineProperty(SinkConsumer, 'name', { value: `${sink[0].toUpperCase()}${sink.slice(1)}SinkConsumer` });
  EventLogConsumer()(SinkConsumer);
  return SinkConsumer;
}
