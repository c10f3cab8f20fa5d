import { Inject, Injectable } from '@nestjs/common';
import { EmbeddedEventLog, EVENT_LOG, EventLog, KafkaEventLog } from '@telemetry/event-log';
import { Counter, Registry } from 'prom-client';
import { PlatformConfig } from '../config/platform.config';
import { PLATFORM_CONFIG } from '../platform.tokens';
import { METRICS_REGISTRY } from './metrics.registry';

/**
 * What the embedded event log found wrong in its files (it reports each at error level too): frames
 * that failed their checksum inside a segment and were skipped with everything after them kept, and
 * group offsets that lay past a partition's end and were reset to it. Read at scrape time.
 */
@Injectable()
export class EventLogMetrics {
  constructor(@Inject(EVENT_LOG) log: EventLog, @Inject(METRICS_REGISTRY) registry: Registry, @Inject(PLATFORM_CONFIG) config: PlatformConfig) {
    if (log instanceof KafkaEventLog) {
      registerKafkaConsumerCounters(log, registry, config.runtime.groupPrefix);
      return;
    }
    if (!(log instanceof EmbeddedEventLog)) return;
    new Counter({
      name: 'telemetry_event_log_corrupt_frames_skipped_total',
      help: 'Frames of the embedded event log that failed their checksum inside a segment and were skipped (the frames after them are kept).',
      registers: [registry],
      collect() {
        this.reset();
        this.inc(log.stats().corruptFramesSkipped);
      },
    });
    new Counter({
      name: 'telemetry_event_log_committed_offsets_reset_total',
      help: 'Consumer-group offsets of the embedded event log that lay past a partition end at open and were reset to the end.',
      registers: [registry],
      collect() {
        this.reset();
        this.inc(log.stats().committedOffsetsReset);
      },
    });
  }
}

/**
 * What the Kafka adapter counts about its consumers, by group (the declared name, without the
 * deployment prefix, as the consumer metrics label it). Read at scrape time.
 */
function registerKafkaConsumerCounters(log: KafkaEventLog, registry: Registry, groupPrefix: string): void {
  const group = (groupId: string) => (groupId.startsWith(`${groupPrefix}-`) ? groupId.slice(groupPrefix.length + 1) : groupId);
  new Counter({
    name: 'telemetry_consumer_restarts_total',
    help: 'Kafka consumers recreated after a crash (undecodable batch, broker error, failed commit), by group: a consumer never stays down.',
    labelNames: ['group'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [groupId, count] of log.stats().consumerRestarts) this.inc({ group: group(groupId) }, count);
    },
  });
  new Counter({
    name: 'telemetry_consumer_undecodable_batches_total',
    help: 'Fetched Kafka record batches a consumer could not decode (logged with their offsets), by group; the batch is read again after the restart.',
    labelNames: ['group'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [groupId, count] of log.stats().undecodableBatches) this.inc({ group: group(groupId) }, count);
    },
  });
  new Counter({
    name: 'telemetry_consumer_skipped_batches_total',
    help: 'Undecodable Kafka record batches a consumer gave up on (KAFKA_UNDECODABLE_BATCH_ATTEMPTS): dead-lettered to the ingest DLQ, then skipped, by group.',
    labelNames: ['group'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [groupId, count] of log.stats().skippedBatches) this.inc({ group: group(groupId) }, count);
    },
  });
}
