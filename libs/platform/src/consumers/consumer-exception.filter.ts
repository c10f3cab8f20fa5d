import { ArgumentsHost, Catch, Injectable, Logger, RpcExceptionFilter } from '@nestjs/common';
import { Observable, throwError } from 'rxjs';
import { ConsumerMetrics } from './consumer.metrics';
import { EventLogContext } from './event-log.context';

/**
 * The one exception filter of event-log handlers. Record-level problems never reach it: handlers
 * dead-letter bad records themselves. What does reach it failed the whole batch, so the batch is not
 * committed and the port offers it again after a backoff; nothing is dropped. The filter classifies
 * the error once: retriable (`retriable: true`, e.g. the event log or a destination is unavailable,
 * or a database or network error that means "not now": see isTransientDependencyError) is logged as
 * a warning; anything else is permanent (a bug, a broken dependency) and logged as an
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
    retriable: error?.retriable === true || isTransientDependencyError(exception),
    errorClass: errorClass.slice(0, 64),
    message: typeof error?.message === 'string' ? error.message : String(exception),
  };
}

/** Postgres SQLSTATE classes and codes that say "not now" rather than "never": connection (08), resources (53), operator intervention (57), a database not accepting connections (55000), serialization and deadlock (40001, 40P01). */
const TRANSIENT_SQLSTATE = /^(08|53|57)[0-9A-Z]{3}$|^(55000|40001|40P01)$/;
/** The network saying the same. */
const TRANSIENT_NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);
/** SQLite: SQLITE_BUSY (5) and SQLITE_LOCKED (6), as primary or extended codes. */
const TRANSIENT_SQLITE_CODES = new Set([5, 6]);

/**
 * A dependency that is down or busy for now (the database, the network), seen through the wrappers
 * an error comes in (TypeORM's `driverError`, `cause`): the batch will succeed once it is back, so it
 * is a warning, not a permanent failure.
 */
export function isTransientDependencyError(exception: unknown): boolean {
  for (let current = exception, depth = 0; current instanceof Error && depth < 8; depth++) {
    const { code, errcode } = current as { code?: unknown; errcode?: unknown };
    if (typeof code === 'string' && (TRANSIENT_SQLSTATE.test(code) || TRANSIENT_NETWORK_CODES.has(code))) return true;
    if (typeof errcode === 'number' && TRANSIENT_SQLITE_CODES.has(errcode & 0xff)) return true;
    current = (current as { driverError?: unknown }).driverError ?? current.cause;
  }
  return false;
}
