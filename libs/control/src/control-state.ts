import type { ControlEvent } from '@telemetry/contracts';
import { ApiKey, ApiKeyView, evolveApiKey, keyIsActive } from './api-keys/api-key.decider';
import type { FeedEntry } from '@telemetry/contracts';
import { evolveTenant, Tenant, TenantView } from './tenants/tenant.decider';
import type { Feed, FeedView } from './intel/feed.decider';
import type { IndicatorRecord, IndicatorView } from './intel/indicator.decider';
import { IntelBook } from './intel/intel-book';
import { evolveFeatureFlags, FeatureFlagOverrides, NO_OVERRIDES } from './flags/feature-flags.decider';
import { SourceBook } from './sources/source-book';
import type { Source, SourceView } from './sources/source.decider';

/**
 * The control plane as every process folds it from `telemetry.control.v1`: tenants, API keys,
 * sources and (in the processes that match or serve them) threat-intel indicators and feeds.
 * Each aggregate evolves by its own pure `evolve`; this container only routes events and keeps the
 * indexes. Audit entries are not kept here (they grow without bound; the query side projects them).
 */
export class ControlState implements TenantView, ApiKeyView, IndicatorView, FeedView, SourceView {
  readonly intel = new IntelBook();
  readonly sources = new SourceBook();
  private readonly tenants = new Map<string, Tenant>();
  private readonly keys = new Map<string, ApiKey>();
  private readonly keysByTenant = new Map<string, Set<string>>();
  private eventCount = 0;
  private flagOverrides: FeatureFlagOverrides = NO_OVERRIDES;
  /** Aggregates with an event this build could not read (e.g. a newer schemaVersion): their keys are refused. */
  private readonly quarantined = new Set<string>();

  /** Folds one event; answers whether it changed the state (false: a duplicate or a race it lost). */
  apply(event: ControlEvent): boolean {
    this.eventCount += 1;
    switch (event.type) {
      case 'TenantCreated':
      case 'TenantUpdated':
      case 'TenantDeleted': {
        const before = this.tenants.get(event.data.tenantId);
        const after = evolveTenant(before, event);
        if (after === before || !after) return false;
        this.tenants.set(after.tenantId, after);
        if (event.type === 'TenantDeleted') {
          this.intel.dropTenant(after.tenantId);
          this.sources.dropTenant(after.tenantId);
        }
        return true;
      }
      case 'ApiKeyIssued':
      case 'ApiKeyRevoked':
      case 'ApiKeyRotated':
      case 'ApiKeyUsed': {
        // A key issued for a tenant that a concurrent delete removed first never becomes usable.
        if (event.type === 'ApiKeyIssued' && !this.liveTenant(event.data.tenantId)) return false;
        const before = this.keys.get(event.data.keyId);
        const after = evolveApiKey(before, event);
        if (after === before || !after) return false;
        this.keys.set(after.keyId, after);
        let ids = this.keysByTenant.get(after.tenantId);
        if (!ids) this.keysByTenant.set(after.tenantId, (ids = new Set()));
        ids.add(after.keyId);
        return true;
      }
      case 'IndicatorAdded':
      case 'FeedRegistered':
        // A tenant's indicator or feed written after a concurrent delete of the tenant never applies.
        if (event.data.tenantId !== undefined && !this.liveTenant(event.data.tenantId)) return false;
        return this.intel.apply(event);
      case 'IndicatorRemoved':
      case 'FeedDeleted':
      case 'FeedIndicatorsChanged':
      case 'FeedSynced':
      case 'FeedSyncFailed':
        return this.intel.apply(event);
      case 'SourceRegistered':
        // A source registered after a concurrent delete of its tenant never applies.
        if (!this.liveTenant(event.data.tenantId)) return false;
        return this.sources.apply(event);
      case 'SourceUpdated':
      case 'SourceDeleted':
        return this.sources.apply(event);
      case 'FeatureFlagsSet':
        this.flagOverrides = evolveFeatureFlags(this.flagOverrides, event);
        return true;
      case 'AdminCommandAudited':
        return true;
    }
  }

  /** The feature flags set through the API (each process applies them over its environment's). */
  get featureFlagOverrides(): FeatureFlagOverrides {
    return this.flagOverrides;
  }

  /** Marks the aggregate a message key names (`api_key:<id>`, `tenant:<id>`) as unreadable: fail closed. */
  quarantine(aggregateId: string): void {
    this.quarantined.add(aggregateId);
  }

  /** A key whose own events or whose tenant's events could not all be read. */
  isQuarantined(key: Pick<ApiKey, 'keyId' | 'tenantId'>): boolean {
    return this.quarantined.size > 0 && (this.quarantined.has(`api_key:${key.keyId}`) || this.quarantined.has(`tenant:${key.tenantId}`));
  }

  tenant(tenantId: string): Tenant | undefined {
    return this.tenants.get(tenantId);
  }

  /** A tenant that exists and is not deleted. */
  liveTenant(tenantId: string): Tenant | undefined {
    const tenant = this.tenants.get(tenantId);
    return tenant && !tenant.deletedAt ? tenant : undefined;
  }

  listTenants(options: { includeDeleted?: boolean } = {}): Tenant[] {
    return [...this.tenants.values()].filter((tenant) => options.includeDeleted || !tenant.deletedAt).sort((a, b) => a.tenantId.localeCompare(b.tenantId));
  }

  key(keyId: string): ApiKey | undefined {
    return this.keys.get(keyId);
  }

  keysOf(tenantId: string): ApiKey[] {
    return [...(this.keysByTenant.get(tenantId) ?? [])].map((id) => this.keys.get(id)!);
  }

  listKeys(): ApiKey[] {
    return [...this.keys.values()];
  }

  activeKeyIds(tenantId: string, now: Date): string[] {
    return this.keysOf(tenantId)
      .filter((key) => keyIsActive(key, now))
      .map((key) => key.keyId)
      .sort();
  }

  indicator(indicatorId: string): IndicatorRecord | undefined {
    return this.intel.indicator(indicatorId);
  }

  feed(feedId: string): Feed | undefined {
    return this.intel.feed(feedId);
  }

  feeds(): Iterable<Feed> {
    return this.intel.feeds();
  }

  feedEntries(feedId: string): ReadonlyMap<string, FeedEntry> {
    return this.intel.feedEntries(feedId);
  }

  source(tenantId: string, sourceId: string): Source | undefined {
    return this.sources.source(tenantId, sourceId);
  }

  sourcesWithId(sourceId: string): readonly Source[] {
    return this.sources.sourcesWithId(sourceId);
  }

  /** The tenant's source a record's collector id names (for admission at ingest). */
  sourceByCollector(tenantId: string, collectorId: string): Source | undefined {
    return this.sources.sourceByCollector(tenantId, collectorId);
  }

  get events(): number {
    return this.eventCount;
  }
}
