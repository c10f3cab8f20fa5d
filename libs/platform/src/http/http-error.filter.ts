import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { Response } from 'express';
import { EventLogUnavailableError, TailNotCaughtUpError } from '@telemetry/event-log';
import { NotReadyError } from '../health/not-ready.error';

/**
 * The one exception filter of the HTTP apps: every error leaves as `{error: <stable code>,
 * message, ...details}`. Typed errors are classified here, once.
 */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('http');

  catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    if (response.headersSent) return;
    if (response.destroyed || !response.socket || response.socket.destroyed) {
      // The connection is gone (the client left, or a timeout answered and closed it): no one to answer.
      this.logger.debug(`request closed before its answer: ${exception instanceof Error ? exception.message : String(exception)}`);
      return;
    }
    if (isClientInputError(exception)) {
      // An oversized or stalled body may still be arriving: close the connection once the answer is sent.
      if (exception.status === 413 || exception.status === 408) response.setHeader('Connection', 'close');
      if (exception.status === 429 && typeof exception.details.retry_after === 'number')
        response.setHeader('Retry-After', String(exception.details.retry_after));
      response.status(exception.status).json({ error: exception.code, message: exception.message, ...exception.details });
      return;
    }
    if (exception instanceof NotReadyError) {
      // A probe's answer: the readiness service logs changes, not every probe.
      response.status(503).json(exception.body);
      return;
    }
    if (exception instanceof EventLogUnavailableError) {
      this.logger.warn(exception.message);
      response
        .status(503)
        .setHeader('Retry-After', '5')
        .json({ error: 'backpressure', message: 'The event log is not accepting records right now; retry later', retry_after: 5 });
      return;
    }
    if (exception instanceof TailNotCaughtUpError) {
      // The control plane has not folded the latest admin events yet (a slow or unreachable log).
      this.logger.warn(exception.message);
      response
        .status(503)
        .setHeader('Retry-After', '1')
        .json({ error: 'control_plane_behind', message: 'The admin state is still catching up with the event log; retry shortly', retry_after: 1 });
      return;
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const body = exception.getResponse();
      const message = typeof body === 'string' ? body : ((body as { message?: unknown }).message ?? exception.message);
      response.status(status).json({ error: status === 404 ? 'not_found' : 'http_error', message });
      return;
    }
    this.logger.error(exception instanceof Error ? (exception.stack ?? exception.message) : String(exception));
    response.status(500).json({ error: 'internal_server_error', message: 'An unexpected error occurred' });
  }
}

/** Errors of the libs that describe bad client input carry a stable code, a status class and details. */
interface ClientInputError extends Error {
  readonly code: string;
  readonly status: number;
  readonly details: Readonly<Record<string, unknown>>;
}

function isClientInputError(error: unknown): error is ClientInputError {
  if (!(error instanceof Error)) return false;
  const candidate = error as Partial<ClientInputError>;
  return (
    typeof candidate.code === 'string' &&
    typeof candidate.status === 'number' &&
    candidate.status >= 400 &&
    candidate.status < 500 &&
    typeof candidate.details === 'object'
  );
}
