import type { ControlEvent, FeedEntry } from '@telemetry/contracts';
import { ControlState } from '../control-state';
import { given, testContext } from '../testing/decider-specification';
import { decideFeed, FEED_CHANGE_CHUNK, FeedFetchOutcome, feedDueAt } from './feed.decider';
import { indicatorIdOf } from './indicator.decider';

const NOW = new Date('2026-12-02T08:00:00.000Z');
const ctx = () => testContext(NOW);
const decide = decideFeed;

const registered: ControlEvent = {
  type: 'FeedRegistered',
  schemaVersion: 1,
  eventId: 'registered-f1',
  aggregateId: 'feed:f1',
  occurredAt: '2026-12-01T00:00:00.000Z',
  actor: { system: 'seed' },
  data: { feedId: 'f1', name: 'feodo', url: 'http://127.0.0.1/feed.csv', format: 'feodo-csv', refreshS: 3600 },
};
const entry = (value: string, confidence = 90): FeedEntry => ({ value, category: 'botnet_cc', confidence });
const fetched = (entries: FeedEntry[], extra: Partial<Extract<FeedFetchOutcome, { kind: 'fetched' }>> = {}): FeedFetchOutcome => ({
  kind: 'fetched',
  entries,
  malformed: 0,
  malformedSample: [],
  skipped: 0,
  ...extra,
});
const fetch = (outcome: FeedFetchOutcome) => ({ type: 'RecordFeedFetch' as const, feedId: 'f1', at: NOW.toISOString(), outcome });

/** Folds the decision's events into `state` (as the control plane's tail would). */
function fold(state: ControlState, events: readonly ControlEvent[]): ControlState {
  for (const event of events) state.apply(event);
  return state;
}

/** Decides `command` against `state` and folds what it appends; a refusal fails the test. */
function run(state: ControlState, command: Parameters<typeof decideFeed>[0]): void {
  const decision = decide(command, state, ctx());
  if ('error' in decision) throw decision.error;
  fold(state, decision.events);
}

describe('the feed decider', () => {
  it('registers a feed, and refuses a second with the same name in the same scope (409 feed_exists)', () => {
    const data = (registered as Extract<ControlEvent, { type: 'FeedRegistered' }>).data;
    given(decide, [])
      .when({ type: 'RegisterFeed', ...data }, ctx())
      .thenEvents([{ type: 'FeedRegistered', aggregateId: 'feed:f1', data }]);
    given(decide, [registered])
      .when({ type: 'RegisterFeed', ...data, feedId: 'f2' }, ctx())
      .thenError('feed_exists', 409);
  });

  it('applies a first fetch as upserts, then the next fetch as a diff: added, changed, removed', () => {
    const spec = given(decide, [registered]);
    const first = spec.when(fetch(fetched([entry('192.0.2.1/32'), entry('192.0.2.2/32'), entry('198.51.100.0/24')], { etag: '"v1"' })), ctx()).thenEvents([
      {
        type: 'FeedIndicatorsChanged',
        data: { feedId: 'f1', upserts: [entry('192.0.2.1/32'), entry('192.0.2.2/32'), entry('198.51.100.0/24')], removals: [] },
      },
      {
        type: 'FeedSynced',
        data: {
          feedId: 'f1',
          outcome: 'updated',
          fetchedAt: NOW.toISOString(),
          etag: '"v1"',
          counts: { added: 3, changed: 0, removed: 0, total: 3, malformed: 0, skipped: 0 },
        },
      },
    ]);
    const state = fold(spec.state, first);
    const ids = [...state.intel.indicators()].map((indicator) => indicator.indicatorId);
    expect(ids).toEqual(['192.0.2.1/32', '192.0.2.2/32', '198.51.100.0/24'].map((value) => indicatorIdOf(undefined, value, 'feed:feodo')));
    expect(state.feed('f1')?.lastSync?.etag).toBe('"v1"');

    const second = decide(
      fetch(
        fetched([entry('192.0.2.1/32'), entry('192.0.2.2/32', 50), entry('203.0.113.9/32')], { malformed: 1, malformedSample: [{ line: 4, reason: 'bad' }] }),
      ),
      state,
      ctx(),
    );
    expect('events' in second && second.events.map((event) => event.data)).toEqual([
      { feedId: 'f1', upserts: [entry('192.0.2.2/32', 50), entry('203.0.113.9/32')], removals: ['198.51.100.0/24'] },
      expect.objectContaining({
        counts: { added: 1, changed: 1, removed: 1, total: 3, malformed: 1, skipped: 0 },
        malformedSample: [{ line: 4, reason: 'bad' }],
      }),
    ]);
    fold(state, 'events' in second ? second.events : []);
    expect([...state.intel.indicators()].map((indicator) => [indicator.value, indicator.confidence])).toEqual([
      ['192.0.2.1/32', 90],
      ['192.0.2.2/32', 50],
      ['203.0.113.9/32', 90],
    ]);
  });

  it('splits a big diff into events of at most FEED_CHANGE_CHUNK entries', () => {
    const entries = Array.from({ length: FEED_CHANGE_CHUNK * 2 + 5 }, (_, i) => entry(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}/32`));
    const decision = decide(fetch(fetched(entries)), given(decide, [registered]).state, ctx());
    const events = 'events' in decision ? decision.events : [];
    expect(events.map((event) => event.type)).toEqual(['FeedIndicatorsChanged', 'FeedIndicatorsChanged', 'FeedIndicatorsChanged', 'FeedSynced']);
    expect(events.map((event) => (event.type === 'FeedIndicatorsChanged' ? event.data.upserts.length : 0))).toEqual([
      FEED_CHANGE_CHUNK,
      FEED_CHANGE_CHUNK,
      5,
      0,
    ]);
  });

  it('keeps the last good indicators when a fetch fails, and reports the error until the next success', () => {
    const state = given(decide, [registered]).state;
    run(state, fetch(fetched([entry('192.0.2.1/32')])));
    run(state, fetch({ kind: 'failed', errorCode: 'http_status', error: 'HTTP 503', httpStatus: 503 }));
    expect(state.intel.indicatorCount).toBe(1);
    expect(state.feed('f1')?.lastError).toEqual({ failedAt: NOW.toISOString(), errorCode: 'http_status', error: 'HTTP 503', httpStatus: 503 });
    run(state, fetch({ kind: 'not_modified' }));
    expect(state.feed('f1')?.lastError).toBeUndefined();
    expect(state.feed('f1')?.lastSync?.counts?.total).toBe(1);
    expect(feedDueAt(state.feed('f1')!)).toBe(NOW.getTime() + 3600_000);
  });

  it('removes every indicator of a deleted feed', () => {
    const state = given(decide, [registered]).state;
    run(state, fetch(fetched([entry('192.0.2.1/32'), entry('192.0.2.2/32')])));
    run(state, { type: 'DeleteFeed', feedId: 'f1', as: {} });
    expect(state.intel.indicatorCount).toBe(0);
    expect(state.feed('f1')).toBeUndefined();
    given(decide, []).when({ type: 'DeleteFeed', feedId: 'f1', as: {} }, ctx()).thenError('feed_not_found', 404);
    given(decide, [registered])
      .when({ type: 'DeleteFeed', feedId: 'f1', as: { tenantId: 'acme' } }, ctx())
      .thenError('global_feed', 403);
  });
});
