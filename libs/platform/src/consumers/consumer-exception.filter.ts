import { ArgumentsHost, Catch, Injectable, Logger, RpcExceptionFilter } from '@nestjs/common';
import { Observable, throwError } from 'rxjs';
import { ConsumerMetrics } from './consumer.metrics';
import { EventLogContext } from './event-log.context';

/**
 * The one exception filter of event-log handlers. Record-level problems never reach it: handlers
 * dead-letter bad records themselves. What does reach it failed the whole batch, so the batch is not
 * committed and the port offers it again after a backoff; nothing is dropped. The filter classifies
 * the error once: retriable (`retriable: true`, e.g. the event log or a destination is unavailable)
 * is logged as a warning; anything else is permanent (a bug, a broken dependency) and logged as an
 * error with the batch coordinates, so an operator sees a stuck partition at once.
 */
@Catch()
@Injectable()
export class ConsumerExceptionFilter implements RpcExceptionFilter<unknown> {
  private readonly logger = new Logger('consumer');

  constructor(private readonly metrics: ConsumerMetrics) {}

  catch(exception: unknown, host: ArgumentsHost): Observable<never> {
    const consumer = host.switchToRpc().getContext<EventLogContext>();
    const { retriable, errorClass, message } = classify(exception);
    this.metrics.batches.inc({ group: consumer.group, outcome: 'failed' });
    this.metrics.failures.inc({ group: consumer.group, error_class: errorClass, retriable: String(retriable) });
    const where = `${consumer.groupId} ${consumer.topic}[${consumer.partition}]`;
    if (retriable) this.logger.warn(`${where}: ${errorClass}: ${message}; the batch is offered again`);
    else this.logger.error(`${where}: permanent failure ${errorClass}: ${message}; the batch is not committed and is offered again`);
    return throwError(() => exception);
  }
}

export function classify(exception: unknown): { retriable: boolean; errorClass: string; message: string } {
  const error = exception as { retriable?: unknown; code?: unknown; errorClass?: unknown; name?: unknown; message?: unknown } | null;
  const errorClass =
    typeof error?.errorClass === 'string'
      ? error.errorClass
      : typeof error?.code === 'string'
        ? error.code
        : typeof error?.name === 'string'
          ? error.name
          : 'unknown';
  return {
    retriable: error?.retriable === true,
    errorClass: errorClass.slice(0, 64),
    message: typeof error?.message === 'string' ? error.message : String(exception),
  };
}
