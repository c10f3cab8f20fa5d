import { Inject, Injectable } from '@nestjs/common';
import { EmbeddedEventLog, EVENT_LOG, EventLog } from '@telemetry/event-log';
import { Counter, Registry } from 'prom-client';
import { METRICS_REGISTRY } from './metrics.registry';

/**
 * What the embedded event log found wrong in its files (it reports each at error level too): frames
 * that failed their checksum inside a segment and were skipped with everything after them kept, and
 * group offsets that lay past a partition's end and were reset to it. Read at scrape time.
 */
@Injectable()
export class EventLogMetrics {
  constructor(@Inject(EVENT_LOG) log: EventLog, @Inject(METRICS_REGISTRY) registry: Registry) {
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
