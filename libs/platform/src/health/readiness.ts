import type { ConsumerStatuses } from '../consumers/event-log.transport';

/** What one readiness check found: `up`, or `down` with the reason; the rest is detail for the body. */
export interface CheckOutcome {
  readonly status: 'up' | 'down';
  /** Why the check is down; absent when it is up. */
  readonly reason?: string;
  readonly [detail: string]: unknown;
}

/** One consumer group as /health/ready reports it. */
export interface ConsumerGroupReport {
  readonly group: string;
  readonly topics: readonly string[];
  readonly state: string;
  /** How long it has been in this state. */
  readonly for_ms: number;
  readonly ready: boolean;
  readonly last_error?: string;
  readonly reason?: string;
}

/**
 * The consumers' check: ready once the transport has subscribed every group and each is
 * `consuming`, or `retrying` for less than `retryGraceMs` (a failed batch redelivered after a
 * backoff is normal; a handler that keeps failing for longer is not). `restarting` and `closed` are
 * never ready: the consumer is not delivering.
 */
export function assessConsumers(statuses: ConsumerStatuses, nowMs: number, retryGraceMs: number): CheckOutcome {
  const groups = statuses.groups.map(({ group, topics, status }): ConsumerGroupReport => {
    const forMs = Math.max(0, nowMs - status.sinceMs);
    const lastError = status.lastError ? { last_error: status.lastError } : {};
    const because = status.lastError ? `: ${status.lastError}` : '';
    const seen = { group, topics, state: status.state, for_ms: forMs };
    const notReady = (what: string): ConsumerGroupReport => ({
      ...seen,
      ready: false,
      ...lastError,
      reason: `consumer ${group} (${topics.join(', ')}) ${what}${because}`,
    });
    switch (status.state) {
      case 'consuming':
        return { ...seen, ready: true };
      case 'retrying':
        if (forMs < retryGraceMs) return { ...seen, ready: true, ...lastError };
        return notReady(`has been retrying for ${seconds(forMs)}, longer than READINESS_RETRY_GRACE_MS (${retryGraceMs} ms)`);
      case 'restarting':
        return notReady('is restarting after a crash');
      case 'closed':
        return notReady('is closed');
    }
  });
  if (!statuses.subscribed) {
    return { status: 'down', reason: 'the consumers are not subscribed yet (the process is starting)', subscribed: false, groups };
  }
  const failing = groups.filter((group) => !group.ready);
  if (failing.length > 0) return { status: 'down', reason: failing.map((group) => group.reason).join('; '), subscribed: true, groups };
  return { status: 'up', subscribed: true, groups };
}

/** The body of /health/ready, and whether it answers 200. */
export interface ReadinessReport {
  readonly ready: boolean;
  readonly body: ReadinessBody;
}

export type ReadinessBody =
  | { readonly status: 'ok'; readonly checks: Readonly<Record<string, CheckOutcome>> }
  | {
      readonly status: 'error';
      readonly error: 'not_ready';
      readonly message: string;
      /** The names of the checks that are down. */
      readonly failed: readonly string[];
      readonly checks: Readonly<Record<string, CheckOutcome>>;
    };

/** Ready when every check is up; otherwise the body names each failed check and why. */
export function readinessReport(checks: Readonly<Record<string, CheckOutcome>>): ReadinessReport {
  const failed = Object.entries(checks).filter(([, outcome]) => outcome.status !== 'up');
  if (failed.length === 0) return { ready: true, body: { status: 'ok', checks } };
  return {
    ready: false,
    body: {
      status: 'error',
      error: 'not_ready',
      message: `Not ready: ${failed.map(([name, outcome]) => `${name}: ${outcome.reason ?? 'down'}`).join('; ')}`,
      failed: failed.map(([name]) => name),
      checks,
    },
  };
}

function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}
