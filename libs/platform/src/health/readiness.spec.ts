import type { ConsumerGroupStatus } from '../consumers/event-log.transport';
import { CachedCheck } from './cached-check';
import { assessConsumers, readinessReport } from './readiness';

const NOW = 1_000_000;
const GRACE = 30_000;

function group(name: string, state: ConsumerGroupStatus['status']['state'], forMs: number, lastError?: string): ConsumerGroupStatus {
  return { group: name, topics: [`topic-of-${name}`], status: { state, sinceMs: NOW - forMs, ...(lastError ? { lastError } : {}) } };
}

describe('assessConsumers', () => {
  it('is up when every group is subscribed and consuming', () => {
    const outcome = assessConsumers({ subscribed: true, groups: [group('a', 'consuming', 5), group('b', 'consuming', 0)] }, NOW, GRACE);
    expect(outcome).toMatchObject({
      status: 'up',
      subscribed: true,
      groups: [
        { group: 'a', ready: true, for_ms: 5 },
        { group: 'b', ready: true },
      ],
    });
    expect(outcome.reason).toBeUndefined();
  });

  it('is up for a process without consumers once the transport has listened', () => {
    expect(assessConsumers({ subscribed: true, groups: [] }, NOW, GRACE)).toEqual({ status: 'up', subscribed: true, groups: [] });
  });

  it('is down before the transport has subscribed every group', () => {
    const outcome = assessConsumers({ subscribed: false, groups: [group('a', 'consuming', 1)] }, NOW, GRACE);
    expect(outcome).toMatchObject({ status: 'down', subscribed: false });
    expect(outcome.reason).toMatch(/not subscribed yet/);
  });

  it('forgives a group that has been retrying for less than the grace', () => {
    const outcome = assessConsumers({ subscribed: true, groups: [group('p', 'retrying', GRACE - 1, 'connection refused')] }, NOW, GRACE);
    expect(outcome.status).toBe('up');
    expect(outcome.groups).toEqual([
      { group: 'p', topics: ['topic-of-p'], state: 'retrying', for_ms: GRACE - 1, ready: true, last_error: 'connection refused' },
    ]);
  });

  it('names a group that keeps retrying past the grace, with its error', () => {
    const outcome = assessConsumers(
      {
        subscribed: true,
        groups: [group('ok', 'consuming', 1), group('telemetry-query-projections', 'retrying', 45_000, 'database "x" does not accept connections')],
      },
      NOW,
      GRACE,
    );
    expect(outcome.status).toBe('down');
    expect(outcome.reason).toBe(
      'consumer telemetry-query-projections (topic-of-telemetry-query-projections) has been retrying for 45 s, longer than READINESS_RETRY_GRACE_MS (30000 ms): database "x" does not accept connections',
    );
    expect(outcome.groups).toEqual([
      expect.objectContaining({ group: 'ok', ready: true }),
      expect.objectContaining({
        group: 'telemetry-query-projections',
        state: 'retrying',
        ready: false,
        last_error: 'database "x" does not accept connections',
      }),
    ]);
  });

  it('is down at once for a restarting or closed group, whatever the grace', () => {
    const outcome = assessConsumers(
      { subscribed: true, groups: [group('r', 'restarting', 0, 'The group is rebalancing'), group('c', 'closed', 0)] },
      NOW,
      GRACE,
    );
    expect(outcome.status).toBe('down');
    expect(outcome.reason).toBe('consumer r (topic-of-r) is restarting after a crash: The group is rebalancing; consumer c (topic-of-c) is closed');
  });

  it('with a zero grace, any retry is unready', () => {
    expect(assessConsumers({ subscribed: true, groups: [group('p', 'retrying', 0)] }, NOW, 0).status).toBe('down');
  });
});

describe('readinessReport', () => {
  it('answers ok with every check when all are up', () => {
    const checks = { event_log: { status: 'up' as const, kind: 'kafka' }, consumers: { status: 'up' as const } };
    expect(readinessReport(checks)).toEqual({ ready: true, body: { status: 'ok', checks } });
  });

  it('names each failed check and why', () => {
    const checks = {
      event_log: { status: 'up' as const },
      database: { status: 'down' as const, reason: 'connect ECONNREFUSED' },
      consumers: { status: 'down' as const, reason: 'consumer g (t) is closed' },
    };
    expect(readinessReport(checks)).toEqual({
      ready: false,
      body: {
        status: 'error',
        error: 'not_ready',
        message: 'Not ready: database: connect ECONNREFUSED; consumers: consumer g (t) is closed',
        failed: ['database', 'consumers'],
        checks,
      },
    });
  });
});

describe('CachedCheck', () => {
  it('reuses an answer for cacheMs, then asks again', async () => {
    let now = 0;
    let calls = 0;
    const check = new CachedCheck(
      async () => {
        calls += 1;
        return { call: calls };
      },
      { timeoutMs: 1_000, cacheMs: 1_500, now: () => now },
    );
    expect(await check.check()).toEqual({ status: 'up', latency_ms: 0, call: 1 });
    now = 1_499;
    expect(await check.check()).toMatchObject({ call: 1 });
    now = 1_500;
    expect(await check.check()).toMatchObject({ call: 2 });
  });

  it('reports the error of a failed probe as the reason', async () => {
    const check = new CachedCheck(
      async () => {
        throw new Error('connect ECONNREFUSED 127.0.0.1:9');
      },
      { timeoutMs: 1_000, cacheMs: 0 },
    );
    expect(await check.check()).toEqual({ status: 'down', reason: 'connect ECONNREFUSED 127.0.0.1:9' });
  });

  it('answers down once a probe is late, and does not stack a second call on a hung one', async () => {
    let calls = 0;
    let answer: (() => void) | undefined;
    const check = new CachedCheck(
      () => {
        calls += 1;
        return new Promise<void>((resolve) => {
          answer = resolve;
        });
      },
      { timeoutMs: 20, cacheMs: 0 },
    );
    expect(await check.check()).toMatchObject({ status: 'down', reason: expect.stringMatching(/^no answer within 20 ms/) });
    expect(await check.check()).toMatchObject({ status: 'down' });
    expect(calls).toBe(1);
    answer?.();
    // The hung call answered at last: the next probe starts a new one.
    await new Promise((resolve) => setImmediate(resolve));
    const next = check.check();
    await new Promise((resolve) => setImmediate(resolve));
    expect(calls).toBe(2);
    answer?.();
    expect(await next).toMatchObject({ status: 'up' });
  });
});
