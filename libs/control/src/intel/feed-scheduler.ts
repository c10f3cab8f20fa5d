import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import type { FeedEntry } from '@telemetry/contracts';
import { FeedFetchError, fetchFeed, FeedFormat, parseCidr, parseFeed, type FeedFetchResult } from '@telemetry/enrichment';
import { CLOCK, METRICS_REGISTRY } from '@telemetry/platform';
import { Counter, Histogram, Registry } from 'prom-client';
import { CONTROL_CONFIG, ControlConfig } from '../control.config';
import { ControlCommandError } from '../control-decision';
import { ControlPlaneService } from '../control-plane.service';
import { Feed, feedDueAt, FeedFetchOutcome, feedSource } from './feed.decider';
import { requirePublicHost } from './feed-address-policy';

/** How often the scheduler looks for due feeds. */
export const FEED_POLL_INTERVAL_MS = 5_000;
export const FEED_FETCH_TIMEOUT_MS = 30_000;
/** A million-entry diff is 500 events to fold: wait for them longer than for an admin command. */
const RECORD_CATCH_UP_MS = 120_000;
/** Malformed entries kept as a sample in FeedSynced. */
const MALFORMED_SAMPLE = 10;

/**
 * Fetches the registered feeds when they are due (their refresh period after the last attempt,
 * success or failure), conditionally (ETag / Last-Modified of the last fetch that brought
 * content), parses them and records the outcome through the control plane: the diff as
 * FeedIndicatorsChanged events and FeedSynced, or FeedSyncFailed, which keeps the last good set.
 *
 * It runs in every process that serves the admin API. Replicas decide from the same folded state,
 * so two replicas may fetch the same feed at about the same time; both diff against the same
 * indicators and the second changes nothing, so the outcome is the same (a refresh period of an
 * hour costs one extra fetch per replica at worst).
 */
@Injectable()
export class FeedScheduler implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('threat-intel-feeds');
  private timer?: NodeJS.Timeout;
  private readonly inFlight = new Map<string, Promise<Feed | undefined>>();
  private readonly aborts = new AbortController();
  private readonly fetches: Counter<'outcome'>;
  private readonly fetchSeconds: Histogram;

  constructor(
    private readonly control: ControlPlaneService,
    @Inject(CLOCK) private readonly clock: () => Date,
    @Inject(CONTROL_CONFIG) private readonly config: ControlConfig,
    @Inject(METRICS_REGISTRY) registry: Registry,
  ) {
    this.fetches = new Counter({
      name: 'telemetry_threatintel_feed_fetches_total',
      help: 'Threat-intel feed fetches, by outcome (updated, not_modified, or the error code: http_status, timeout, unreachable, too_large, not_found, unreadable, blocked_address, no_indicators).',
      labelNames: ['outcome'],
      registers: [registry],
    });
    this.fetchSeconds = new Histogram({
      name: 'telemetry_threatintel_feed_fetch_duration_seconds',
      help: 'Time to fetch, parse and record one feed.',
      buckets: [0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [registry],
    });
  }

  onApplicationBootstrap(): void {
    if (!this.config.adminApi) return;
    this.timer = setInterval(() => this.tick(), FEED_POLL_INTERVAL_MS);
    this.timer.unref();
    this.tick();
  }

  async onModuleDestroy(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.aborts.abort(new Error('shutting down'));
    await Promise.allSettled(this.inFlight.values());
  }

  /** Fetches `feedId` now (or joins the fetch under way) and answers the feed as it stands after it. */
  refresh(feedId: string): Promise<Feed | undefined> {
    const running = this.inFlight.get(feedId);
    if (running) return running;
    const run = this.fetchAndRecord(feedId).finally(() => this.inFlight.delete(feedId));
    this.inFlight.set(feedId, run);
    return run;
  }

  private tick(): void {
    const now = this.clock().getTime();
    for (const feed of this.control.state.intel.feeds()) {
      if (feedDueAt(feed) <= now && !this.inFlight.has(feed.feedId)) {
        this.refresh(feed.feedId).catch((error: unknown) => this.logger.warn(`feed ${feed.name}: ${(error as Error).message}`));
      }
    }
  }

  private async fetchAndRecord(feedId: string): Promise<Feed | undefined> {
    const feed = this.control.state.feed(feedId);
    if (!feed) return undefined;
    const started = process.hrtime.bigint();
    const outcome = await this.fetchOutcome(feed);
    if (this.aborts.signal.aborted) return feed;
    try {
      await this.control.execute(
        { type: 'RecordFeedFetch', feedId, at: this.clock().toISOString(), outcome },
        { actor: { system: 'feed-scheduler' }, audit: false, onConflict: 'ignore', catchUpMs: RECORD_CATCH_UP_MS },
      );
    } catch (error) {
      // Deleted while it was being fetched: nothing to record.
      if (error instanceof ControlCommandError && error.code === 'feed_not_found') return undefined;
      throw error;
    }
    const label = outcome.kind === 'failed' ? outcome.errorCode : outcome.kind === 'fetched' ? 'updated' : 'not_modified';
    this.fetches.inc({ outcome: label });
    this.fetchSeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
    if (outcome.kind === 'failed') this.logger.warn(`feed ${feed.name}: ${outcome.errorCode}: ${outcome.error} (its last good indicators still apply)`);
    return this.control.state.feed(feedId);
  }

  /** Fetch and parse; every failure becomes an outcome (never a throw), so it is recorded and reported. */
  private async fetchOutcome(feed: Feed): Promise<FeedFetchOutcome> {
    try {
      // Conditional only when the feed's content is the one those validators name.
      const sync = feed.lastSync;
      const validators =
        sync && !feed.lastError ? { ...(sync.etag ? { etag: sync.etag } : {}), ...(sync.lastModified ? { lastModified: sync.lastModified } : {}) } : {};
      const publicOnly = feed.tenantId !== undefined && !this.config.feedAllowPrivateAddresses;
      const options = { timeoutMs: FEED_FETCH_TIMEOUT_MS, signal: this.aborts.signal, ...(publicOnly ? { checkHost: requirePublicHost } : {}) };
      const fetched = await fetchFeed(location(feed.url, feed.path), validators, options);
      if (fetched.kind === 'not_modified') return { kind: 'not_modified' };
      const categories = feed.format === 'suricata-iprep' ? await this.fetchText(location(feed.categoriesUrl, feed.categoriesPath), options) : undefined;
      return parsed(feed, fetched, categories);
    } catch (error) {
      if (error instanceof FeedFetchError) {
        return { kind: 'failed', errorCode: error.code, error: error.message, ...(error.httpStatus !== undefined ? { httpStatus: error.httpStatus } : {}) };
      }
      return { kind: 'failed', errorCode: 'unreadable', error: (error as Error).message };
    }
  }

  private async fetchText(
    where: { url?: string; path?: string },
    options: { timeoutMs: number; signal: AbortSignal; checkHost?: (url: URL) => Promise<void> },
  ): Promise<string> {
    const result = await fetchFeed(where, {}, options);
    if (result.kind !== 'fetched') throw new FeedFetchError('unreadable', 'the categories file answered 304 to an unconditional request');
    return result.text;
  }
}

function location(url: string | undefined, path: string | undefined): { url?: string; path?: string } {
  return url !== undefined ? { url } : { ...(path !== undefined ? { path } : {}) };
}

function parsed(feed: Feed, fetched: Extract<FeedFetchResult, { kind: 'fetched' }>, categories: string | undefined): FeedFetchOutcome {
  const result = parseFeed(feed.format as FeedFormat, fetched.text, {
    source: feedSource(feed),
    ...(feed.category !== undefined ? { category: feed.category } : {}),
    ...(feed.confidence !== undefined ? { confidence: feed.confidence } : {}),
    ...(categories !== undefined ? { categories } : {}),
  });
  const entries: FeedEntry[] = [];
  for (const indicator of result.indicators) {
    const network = parseCidr(indicator.indicator);
    if (network) entries.push({ value: network.text, category: indicator.category, confidence: indicator.confidence });
  }
  // Content with nothing usable in it (an error page served as 200, a truncated file) is a failure:
  // the last good set is kept rather than emptied. An empty list that says so (only comments) is not.
  if (entries.length === 0 && (result.malformed.length > 0 || fetched.text.trim() === '')) {
    return {
      kind: 'failed',
      errorCode: 'no_indicators',
      error: `the fetched content (${fetched.bytes} bytes) has no usable indicator${result.malformed.length > 0 ? `: ${result.malformed.length} malformed entries, the first at line ${result.malformed[0].line}: ${result.malformed[0].reason}` : ''}`,
    };
  }
  return {
    kind: 'fetched',
    entries,
    malformed: result.malformed.length,
    malformedSample: result.malformed.slice(0, MALFORMED_SAMPLE).map(({ line, reason }) => ({ line, reason })),
    skipped: result.skipped,
    ...(fetched.etag !== undefined ? { etag: fetched.etag } : {}),
    ...(fetched.lastModified !== undefined ? { lastModified: fetched.lastModified } : {}),
  };
}
