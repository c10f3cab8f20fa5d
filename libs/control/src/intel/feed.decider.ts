import {
  FEED_SOURCE_PREFIX,
  feedAggregateId,
  type FeedEntry,
  type FeedEvent,
  type FeedRegistered,
  type FeedSynced,
  type FeedSyncFailed,
  type ControlEvent,
} from '@telemetry/contracts';
import { accept, ControlCommandError, DecideContext, Decision, envelope, refuse } from '../control-decision';
import type { IntelActor } from './indicator.decider';

// --- State ----------------------------------------------------------------------------------------

/** A registered threat-intel feed: where it is fetched from, how often, and how its last fetches went. */
export interface Feed {
  readonly feedId: string;
  readonly tenantId?: string;
  readonly name: string;
  readonly url?: string;
  readonly path?: string;
  readonly format: string;
  readonly refreshS: number;
  readonly category?: string;
  readonly confidence?: number;
  readonly categoriesUrl?: string;
  readonly categoriesPath?: string;
  readonly createdAt: string;
  /** The last successful fetch (changed or not). */
  readonly lastSync?: Omit<FeedSynced['data'], 'feedId' | 'tenantId'>;
  /** The last failed fetch, cleared by the next success. */
  readonly lastError?: Omit<FeedSyncFailed['data'], 'feedId' | 'tenantId'>;
}

/** The indicator source of a feed's entries. */
export const feedSource = (feed: Pick<Feed, 'name'>): string => `${FEED_SOURCE_PREFIX}${feed.name}`;

/** When the feed is next due: its last attempt (success or failure) plus its refresh period; now when never fetched. */
export function feedDueAt(feed: Feed): number {
  const last = Math.max(feed.lastSync ? Date.parse(feed.lastSync.fetchedAt) : 0, feed.lastError ? Date.parse(feed.lastError.failedAt) : 0);
  return last === 0 ? 0 : last + feed.refreshS * 1000;
}

export interface FeedView {
  feed(feedId: string): Feed | undefined;
  feeds(): Iterable<Feed>;
  /** The values (canonical networks) the feed lists now, with their category and confidence. */
  feedEntries(feedId: string): ReadonlyMap<string, FeedEntry>;
  liveTenant(tenantId: string): unknown;
}

// --- Commands -------------------------------------------------------------------------------------

export type FeedFetchOutcome =
  | {
      readonly kind: 'fetched';
      /** Canonical networks; a value listed twice keeps its last entry. */
      readonly entries: readonly FeedEntry[];
      readonly malformed: number;
      readonly malformedSample: ReadonlyArray<{ readonly line: number; readonly reason: string }>;
      readonly skipped: number;
      readonly etag?: string;
      readonly lastModified?: string;
    }
  | { readonly kind: 'not_modified' }
  | { readonly kind: 'failed'; readonly errorCode: string; readonly error: string; readonly httpStatus?: number };

export type FeedCommand =
  | ({ readonly type: 'RegisterFeed' } & FeedRegistered['data'])
  | { readonly type: 'DeleteFeed'; readonly feedId: string; readonly as: IntelActor }
  | { readonly type: 'RecordFeedFetch'; readonly feedId: string; readonly at: string; readonly outcome: FeedFetchOutcome };

/** Upserts and removals per FeedIndicatorsChanged event: keeps every message far below Kafka's 1 MB default. */
export const FEED_CHANGE_CHUNK = 2000;

// --- evolve ---------------------------------------------------------------------------------------

/** The feed after one of its events (FeedIndicatorsChanged changes indicators, not the feed). */
export function evolveFeed(feed: Feed | undefined, event: FeedEvent): Feed | undefined {
  switch (event.type) {
    case 'FeedRegistered':
      if (feed) return feed;
      return { ...event.data, createdAt: event.occurredAt };
    case 'FeedDeleted':
      return undefined;
    case 'FeedIndicatorsChanged':
      return feed;
    case 'FeedSynced': {
      if (!feed) return feed;
      const { feedId: _feedId, tenantId: _tenantId, ...sync } = event.data;
      // A not-modified answer keeps the validators and counts of the fetch that brought the content.
      const lastSync = sync.outcome === 'not_modified' && feed.lastSync ? { ...feed.lastSync, outcome: sync.outcome, fetchedAt: sync.fetchedAt } : sync;
      const { lastError: _lastError, ...rest } = feed;
      return { ...rest, lastSync };
    }
    case 'FeedSyncFailed': {
      if (!feed) return feed;
      const { feedId: _feedId, tenantId: _tenantId, ...failure } = event.data;
      return { ...feed, lastError: failure };
    }
  }
}

// --- decide ---------------------------------------------------------------------------------------

export function decideFeed(command: FeedCommand, view: FeedView, ctx: DecideContext): Decision {
  switch (command.type) {
    case 'RegisterFeed': {
      const { type: _type, ...data } = command;
      if (data.tenantId !== undefined && !view.liveTenant(data.tenantId)) {
        return refuse('tenant_not_found', 404, `No tenant "${data.tenantId}"`, { tenant_id: data.tenantId });
      }
      for (const feed of view.feeds()) {
        if (feed.name === data.name && feed.tenantId === data.tenantId) {
          return refuse(
            'feed_exists',
            409,
            `A feed named "${data.name}" is already registered${data.tenantId ? ` for tenant "${data.tenantId}"` : ' globally'}`,
            {
              feed_id: feed.feedId,
            },
          );
        }
      }
      return accept({ type: 'FeedRegistered', ...envelope(ctx, feedAggregateId(data.feedId)), data });
    }
    case 'DeleteFeed': {
      const feed = visibleFeed(view, command.feedId, command.as);
      if ('error' in feed) return feed;
      return accept({ type: 'FeedDeleted', ...envelope(ctx, feedAggregateId(command.feedId)), data: { feedId: command.feedId, ...scopeOf(feed.feed) } });
    }
    case 'RecordFeedFetch': {
      const feed = view.feed(command.feedId);
      if (!feed) return refuse('feed_not_found', 404, `No feed "${command.feedId}"`, { id: command.feedId });
      return accept(...fetchEvents(feed, view.feedEntries(feed.feedId), command, ctx));
    }
  }
}

function fetchEvents(
  feed: Feed,
  held: ReadonlyMap<string, FeedEntry>,
  command: Extract<FeedCommand, { type: 'RecordFeedFetch' }>,
  ctx: DecideContext,
): ControlEvent[] {
  const aggregate = feedAggregateId(feed.feedId);
  const scope = scopeOf(feed);
  const outcome = command.outcome;
  if (outcome.kind === 'failed') {
    const { kind: _kind, ...failure } = outcome;
    return [{ type: 'FeedSyncFailed', ...envelope(ctx, aggregate), data: { feedId: feed.feedId, ...scope, failedAt: command.at, ...failure } }];
  }
  const validators = outcome.kind === 'fetched' ? { ...optional('etag', outcome.etag), ...optional('lastModified', outcome.lastModified) } : {};
  if (outcome.kind === 'not_modified') {
    return [{ type: 'FeedSynced', ...envelope(ctx, aggregate), data: { feedId: feed.feedId, ...scope, outcome: 'not_modified', fetchedAt: command.at } }];
  }
  const next = new Map<string, FeedEntry>();
  for (const entry of outcome.entries) next.set(entry.value, entry);
  const upserts: FeedEntry[] = [];
  let added = 0;
  for (const entry of next.values()) {
    const before = held.get(entry.value);
    if (!before) added++;
    if (!before || before.category !== entry.category || before.confidence !== entry.confidence) upserts.push(entry);
  }
  const removals: string[] = [];
  for (const value of held.keys()) if (!next.has(value)) removals.push(value);
  const events: ControlEvent[] = [];
  for (let u = 0, r = 0; u < upserts.length || r < removals.length; u += FEED_CHANGE_CHUNK, r += FEED_CHANGE_CHUNK) {
    events.push({
      type: 'FeedIndicatorsChanged',
      ...envelope(ctx, aggregate),
      data: { feedId: feed.feedId, ...scope, upserts: upserts.slice(u, u + FEED_CHANGE_CHUNK), removals: removals.slice(r, r + FEED_CHANGE_CHUNK) },
    });
  }
  events.push({
    type: 'FeedSynced',
    ...envelope(ctx, aggregate),
    data: {
      feedId: feed.feedId,
      ...scope,
      outcome: 'updated',
      fetchedAt: command.at,
      ...validators,
      counts: { added, changed: upserts.length - added, removed: removals.length, total: next.size, malformed: outcome.malformed, skipped: outcome.skipped },
      ...(outcome.malformedSample.length > 0 ? { malformedSample: outcome.malformedSample.slice(0, 10) } : {}),
    },
  });
  return events;
}

/** The feed as `as` may see it: another tenant's is not found, a global one is read-only to a tenant. */
export function visibleFeed(view: Pick<FeedView, 'feed'>, feedId: string, as: IntelActor): { readonly feed: Feed } | { readonly error: ControlCommandError } {
  const feed = view.feed(feedId);
  if (!feed || (as.tenantId !== undefined && feed.tenantId !== undefined && feed.tenantId !== as.tenantId)) {
    return { error: new ControlCommandError('feed_not_found', 404, `No feed "${feedId}"`, { id: feedId }) };
  }
  if (as.tenantId !== undefined && feed.tenantId === undefined) {
    return {
      error: new ControlCommandError('global_feed', 403, 'A global feed can only be changed by an admin key acting globally (without X-Tenant-ID)', {
        id: feedId,
      }),
    };
  }
  return { feed };
}

function scopeOf(item: { readonly tenantId?: string }): { tenantId?: string } {
  return item.tenantId !== undefined ? { tenantId: item.tenantId } : {};
}

function optional<K extends string>(key: K, value: string | undefined): { [P in K]?: string } {
  return (value !== undefined ? { [key]: value } : {}) as { [P in K]?: string };
}
