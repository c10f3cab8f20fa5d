import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import type { ThreatMatch } from '@telemetry/contracts';
import { ControlPlaneService, IndicatorChange, IndicatorRecord } from '@telemetry/control';
import { Indicator, MatchableFlow, ThreatIntelIndex, ThreatIntelMatcher } from '@telemetry/enrichment';
import { METRICS_REGISTRY } from '@telemetry/platform';
import { Counter, Gauge, Registry } from 'prom-client';

/** The indicators THREATLIST_CSV held at start: global, never changed by the control plane. */
export const STATIC_INDICATORS = Symbol('STATIC_INDICATORS');

/**
 * The enricher's threat-intel matcher, live: the indicators of THREATLIST_CSV plus every indicator
 * the control plane holds (added through the API or by a feed), followed change by change as this
 * process folds `telemetry.control.v1`.
 *
 * Each change is applied to the prefix tree in place, synchronously inside the fold of its control
 * batch: Node runs one thing at a time, so a record batch being enriched never sees a half-applied
 * change, and a change costs one trie walk (microseconds) instead of a rebuild. A feed's big diff
 * arrives as events of at most 2,000 entries, so no single step holds the event loop for long. The
 * control plane folds its whole history before the consumers start, so the first record enriched
 * already matches every indicator.
 */
@Injectable()
export class LiveThreatIntel implements ThreatIntelMatcher, OnModuleDestroy {
  private readonly index: ThreatIntelIndex;
  private readonly unsubscribe: () => void;
  private readonly logger = new Logger('threat-intel');
  private readonly changes: Counter<'kind'>;

  constructor(control: ControlPlaneService, @Inject(STATIC_INDICATORS) staticIndicators: readonly Indicator[], @Inject(METRICS_REGISTRY) registry: Registry) {
    this.index = new ThreatIntelIndex(staticIndicators);
    for (const indicator of control.state.intel.indicators()) this.upsert(indicator);
    this.unsubscribe = control.state.intel.subscribe((changes) => this.apply(changes));
    this.changes = new Counter({
      name: 'telemetry_enricher_threat_indicator_changes_total',
      help: 'Indicator changes from the control plane applied to the live threat-intel matcher, by kind (upsert, remove).',
      labelNames: ['kind'],
      registers: [registry],
    });
    const index = this.index;
    new Gauge({
      name: 'telemetry_enricher_threat_indicators',
      help: 'Threat-intel indicators the enricher matches flows against (THREATLIST_CSV and the control plane).',
      registers: [registry],
      collect() {
        this.set(index.size);
      },
    });
  }

  get size(): number {
    return this.index.size;
  }

  match(flow: MatchableFlow, nowMs?: number): ThreatMatch[] {
    return this.index.match(flow, nowMs);
  }

  onModuleDestroy(): void {
    this.unsubscribe();
  }

  private apply(changes: readonly IndicatorChange[]): void {
    for (const change of changes) {
      try {
        if (change.kind === 'upsert') this.upsert(change.indicator);
        else this.index.removeExact(change.previous.value, change.previous.source, change.previous.tenantId);
        this.changes.inc({ kind: change.kind });
      } catch (error) {
        // The control plane validated it; a value this build cannot index is reported, not fatal.
        this.logger.error(`indicator change not applied (${change.kind}): ${(error as Error).message}`);
      }
    }
  }

  private upsert(record: IndicatorRecord): void {
    // One literal of one shape (no conditional spreads): this runs once per indicator of every feed.
    this.index.add({
      indicator: record.value,
      category: record.category,
      confidence: record.confidence,
      source: record.source,
      tenantId: record.tenantId,
      expiresAt: record.expiresAt,
    });
  }
}
