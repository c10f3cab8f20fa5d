import type { FeedEntry, IntelEvent } from '@telemetry/contracts';
import { evolveFeed, Feed, feedSource, FeedView } from './feed.decider';
import { evolveIndicator, IndicatorRecord, indicatorIdOf, IndicatorView } from './indicator.decider';

/** One change to the set of indicators, as a matcher applies it. */
export type IndicatorChange =
  | { readonly kind: 'upsert'; readonly indicator: IndicatorRecord; readonly previous?: IndicatorRecord }
  | { readonly kind: 'remove'; readonly previous: IndicatorRecord };

export type IndicatorListener = (changes: readonly IndicatorChange[]) => void;

/**
 * The threat-intel part of the control state: indicators (the API's and the feeds') and feeds.
 * Listeners hear every change to the indicator set, event by event, so a matcher can follow it
 * without rescanning.
 */
export class IntelBook implements Omit<IndicatorView, 'liveTenant'>, Omit<FeedView, 'liveTenant'> {
  private readonly byId = new Map<string, IndicatorRecord>();
  private readonly feedsById = new Map<string, Feed>();
  /** Per feed: value → the entry it lists (the diff of the next sync is against this). */
  private readonly entriesByFeed = new Map<string, Map<string, FeedEntry>>();
  private readonly listeners = new Set<IndicatorListener>();

  apply(event: IntelEvent): boolean {
    switch (event.type) {
      case 'IndicatorAdded':
      case 'IndicatorRemoved': {
        const before = this.byId.get(event.data.indicatorId);
        // An indicator a feed owns changes only with its feed.
        if (before?.feedId !== undefined) return false;
        const after = evolveIndicator(before, event);
        if (after === before) return false;
        this.set(event.data.indicatorId, after, before);
        return true;
      }
      case 'FeedRegistered':
      case 'FeedSynced':
      case 'FeedSyncFailed':
      case 'FeedDeleted': {
        const before = this.feedsById.get(event.data.feedId);
        const after = evolveFeed(before, event);
        if (after === before) return false;
        if (after) this.feedsById.set(after.feedId, after);
        else this.feedsById.delete(event.data.feedId);
        if (event.type === 'FeedRegistered') this.entriesByFeed.set(event.data.feedId, new Map());
        if (event.type === 'FeedDeleted' && before) this.dropFeedIndicators(before);
        return true;
      }
      case 'FeedIndicatorsChanged': {
        const feed = this.feedsById.get(event.data.feedId);
        const entries = this.entriesByFeed.get(event.data.feedId);
        if (!feed || !entries) return false;
        const source = feedSource(feed);
        const changes: IndicatorChange[] = [];
        for (const value of event.data.removals) {
          if (!entries.delete(value)) continue;
          const id = indicatorIdOf(feed.tenantId, value, source);
          const previous = this.byId.get(id);
          if (previous) {
            this.byId.delete(id);
            changes.push({ kind: 'remove', previous });
          }
        }
        for (const entry of event.data.upserts) {
          entries.set(entry.value, entry);
          const id = indicatorIdOf(feed.tenantId, entry.value, source);
          const previous = this.byId.get(id);
          // One literal of one shape (no conditional spreads): a feed folds a million of these.
          const indicator: IndicatorRecord = {
            indicatorId: id,
            tenantId: feed.tenantId,
            value: entry.value,
            category: entry.category,
            confidence: entry.confidence,
            source,
            expiresAt: undefined,
            feedId: feed.feedId,
            createdAt: previous?.createdAt ?? event.occurredAt,
            updatedAt: event.occurredAt,
          };
          this.byId.set(id, indicator);
          changes.push({ kind: 'upsert', indicator, previous });
        }
        this.emit(changes);
        return changes.length > 0;
      }
    }
  }

  /** A deleted tenant's indicators and feeds stop applying (they are kept nowhere: the tenant cannot come back). */
  dropTenant(tenantId: string): void {
    for (const feed of [...this.feedsById.values()]) {
      if (feed.tenantId === tenantId) {
        this.feedsById.delete(feed.feedId);
        this.dropFeedIndicators(feed);
      }
    }
    const changes: IndicatorChange[] = [];
    for (const indicator of [...this.byId.values()]) {
      if (indicator.tenantId === tenantId) {
        this.byId.delete(indicator.indicatorId);
        changes.push({ kind: 'remove', previous: indicator });
      }
    }
    this.emit(changes);
  }

  /** Hears every later change; answers the function that stops it. */
  subscribe(listener: IndicatorListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  indicator(indicatorId: string): IndicatorRecord | undefined {
    return this.byId.get(indicatorId);
  }

  indicators(): IterableIterator<IndicatorRecord> {
    return this.byId.values();
  }

  get indicatorCount(): number {
    return this.byId.size;
  }

  feed(feedId: string): Feed | undefined {
    return this.feedsById.get(feedId);
  }

  feeds(): IterableIterator<Feed> {
    return this.feedsById.values();
  }

  feedEntries(feedId: string): ReadonlyMap<string, FeedEntry> {
    return this.entriesByFeed.get(feedId) ?? new Map();
  }

  private dropFeedIndicators(feed: Feed): void {
    const source = feedSource(feed);
    const changes: IndicatorChange[] = [];
    for (const value of this.entriesByFeed.get(feed.feedId)?.keys() ?? []) {
      const id = indicatorIdOf(feed.tenantId, value, source);
      const previous = this.byId.get(id);
      if (previous) {
        this.byId.delete(id);
        changes.push({ kind: 'remove', previous });
      }
    }
    this.entriesByFeed.delete(feed.feedId);
    this.emit(changes);
  }

  private set(id: string, after: IndicatorRecord | undefined, before: IndicatorRecord | undefined): void {
    if (after) this.byId.set(id, after);
    else this.byId.delete(id);
    this.emit([after ? { kind: 'upsert', indicator: after, ...(before ? { previous: before } : {}) } : { kind: 'remove', previous: before! }]);
  }

  private emit(changes: readonly IndicatorChange[]): void {
    if (changes.length === 0) return;
    for (const listener of this.listeners) listener(changes);
  }
}
