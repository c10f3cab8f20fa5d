import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { HEADERS } from '@telemetry/contracts';
import type { RecordBatch } from '@telemetry/event-log';
import { from, lastValueFrom, Observable } from 'rxjs';
import { inSpan, SpanKind } from '../tracing';
import { ConsumerMetrics } from './consumer.metrics';
import { EventLogContext } from './event-log.context';

/** Links from a batch span to the traces of its records, capped: a batch span is not a per-record span. */
const MAX_SPAN_LINKS = 32;

/** The one span and the metrics around every event-log handler call. */
@Injectable()
export class ConsumerInterceptor implements NestInterceptor {
  constructor(private readonly metrics: ConsumerMetrics) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const rpc = context.switchToRpc();
    const batch = rpc.getData<RecordBatch>();
    const consumer = rpc.getContext<EventLogContext>();
    const group = consumer.group;
    return from(
      inSpan(
        consumer.spanName,
        {
          kind: SpanKind.CONSUMER,
          attributes: {
            'messaging.destination.name': batch.topic,
            'messaging.kafka.partition': batch.partition,
            'messaging.consumer.group.name': consumer.groupId,
            'messaging.batch.message_count': batch.records.length,
          },
          links: tracedRecords(batch),
        },
        async () => {
          const stopTimer = this.metrics.batchSeconds.startTimer({ group });
          const result = await lastValueFrom(next.handle(), { defaultValue: undefined });
          stopTimer();
          this.metrics.batches.inc({ group, outcome: 'handled' });
          this.metrics.records.inc({ group }, batch.records.length);
          return result;
        },
      ),
    );
  }
}

function tracedRecords(batch: RecordBatch): Array<{ traceparent: string }> {
  const links: Array<{ traceparent: string }> = [];
  for (const record of batch.records) {
    const traceparent = record.headers[HEADERS.traceparent];
    if (traceparent) links.push({ traceparent });
    if (links.length >= MAX_SPAN_LINKS) break;
  }
  return links;
}
