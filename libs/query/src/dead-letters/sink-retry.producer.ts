import { Inject, Injectable } from '@nestjs/common';
import { sinkRetryTopic, sinkRetryTopicSpec } from '@telemetry/contracts';
import { EVENT_LOG, EventLog, OutgoingRecord } from '@telemetry/event-log';
import { PlatformConfig, PLATFORM_CONFIG } from '@telemetry/platform';
import { SINKS_CONFIG, SinksConfig } from '@telemetry/sink';

/** Records per send: one call never turns into one huge produce request. */
const RECORDS_PER_SEND = 500;

/**
 * Writes records onto a sink's first retry topic, whose consumer in the sink process delivers them
 * once due. The topic is created when missing (the query role may start before the sink does).
 */
@Injectable()
export class SinkRetryProducer {
  private readonly ensured = new Map<string, Promise<void>>();

  constructor(
    @Inject(EVENT_LOG) private readonly log: EventLog,
    @Inject(PLATFORM_CONFIG) private readonly platform: PlatformConfig,
    @Inject(SINKS_CONFIG) private readonly sinks: SinksConfig,
  ) {}

  async publish(sink: string, records: readonly OutgoingRecord[]): Promise<void> {
    if (records.length === 0) return;
    await this.ensureTopic(sink);
    for (let start = 0; start < records.length; start += RECORDS_PER_SEND) {
      await this.log.publish(sinkRetryTopic(sink, 1), records.slice(start, start + RECORDS_PER_SEND));
    }
  }

  private ensureTopic(sink: string): Promise<void> {
    let ensured = this.ensured.get(sink);
    if (!ensured) {
      const spec = sinkRetryTopicSpec(sink, 1, this.platform.runtime.eventLog.partitions, this.sinks.retryDelaysMs[0] ?? 0);
      ensured = this.log.ensureTopics([spec]);
      // A failure is not remembered: the next call tries again.
      ensured.catch(() => this.ensured.delete(sink));
      this.ensured.set(sink, ensured);
    }
    return ensured;
  }
}
