import type { SourceEvent } from '@telemetry/contracts';
import { evolveSource, Source, SourceView } from './source.decider';

const keyOf = (tenantId: string, sourceId: string): string => `${tenantId}/${sourceId}`;
const collectorKeyOf = (tenantId: string, collector: string): string => `${tenantId}\n${collector}`;

/**
 * The sources part of the control state, folded by every process (ingest admission reads it):
 * sources by (tenant, id), and by (tenant, collector) for the lookup of a record's collector.
 */
export class SourceBook implements Omit<SourceView, 'liveTenant'> {
  private readonly byKey = new Map<string, Source>();
  private readonly byId = new Map<string, Set<string>>();
  private readonly byCollector = new Map<string, Set<string>>();

  /** Folds one event; answers whether it changed the book. */
  apply(event: SourceEvent): boolean {
    const key = keyOf(event.data.tenantId, event.data.sourceId);
    const before = this.byKey.get(key);
    const after = evolveSource(before, event);
    if (after === before) return false;
    if (before) this.unindex(key, before);
    if (after) {
      this.byKey.set(key, after);
      this.index(key, after);
    } else this.byKey.delete(key);
    return true;
  }

  /** A deleted tenant's sources stop applying. */
  dropTenant(tenantId: string): void {
    for (const [key, source] of this.byKey) {
      if (source.tenantId !== tenantId) continue;
      this.unindex(key, source);
      this.byKey.delete(key);
    }
  }

  source(tenantId: string, sourceId: string): Source | undefined {
    return this.byKey.get(keyOf(tenantId, sourceId));
  }

  sourcesWithId(sourceId: string): Source[] {
    return [...(this.byId.get(sourceId) ?? [])].map((key) => this.byKey.get(key)!);
  }

  /** The tenant's source that a collector id names (the first registered when several share it). */
  sourceByCollector(tenantId: string, collectorId: string): Source | undefined {
    const keys = this.byCollector.get(collectorKeyOf(tenantId, collectorId));
    if (!keys) return undefined;
    for (const key of keys) return this.byKey.get(key);
    return undefined;
  }

  /** Every source, by tenant then id. */
  list(): Source[] {
    return [...this.byKey.values()].sort((a, b) => a.tenantId.localeCompare(b.tenantId) || a.sourceId.localeCompare(b.sourceId));
  }

  get size(): number {
    return this.byKey.size;
  }

  private index(key: string, source: Source): void {
    add(this.byId, source.sourceId, key);
    add(this.byCollector, collectorKeyOf(source.tenantId, source.collector), key);
  }

  private unindex(key: string, source: Source): void {
    remove(this.byId, source.sourceId, key);
    remove(this.byCollector, collectorKeyOf(source.tenantId, source.collector), key);
  }
}

function add(index: Map<string, Set<string>>, at: string, key: string): void {
  let keys = index.get(at);
  if (!keys) index.set(at, (keys = new Set()));
  keys.add(key);
}

function remove(index: Map<string, Set<string>>, at: string, key: string): void {
  const keys = index.get(at);
  if (!keys) return;
  keys.delete(key);
  if (keys.size === 0) index.delete(at);
}
