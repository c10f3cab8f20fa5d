import type { ReadinessBody } from './readiness';

/** /health/ready's answer when a check is down: the one exception filter sends `body` as is, with 503. */
export class NotReadyError extends Error {
  readonly code = 'not_ready';
  readonly retriable = true;

  constructor(readonly body: ReadinessBody & { readonly status: 'error' }) {
    super(body.message);
    this.name = 'NotReadyError';
  }
}
