import { DynamicModule, Module } from '@nestjs/common';
import type { EnricherConfig } from './enricher.config';
import { loadThreatlistCsv } from './enrichment.providers';
import { LiveThreatIntel, STATIC_INDICATORS } from './live-threat-intel';

/**
 * The live threat-intel matcher of a process (THREATLIST_CSV plus the control plane's indicators),
 * one per process: the enricher scores flows with it, the query-api answers /v1/lookup with it, and
 * in the all-in-one both use the same one. Needs the control plane folded (ControlModule).
 */
@Module({})
export class ThreatIntelModule {
  static forRoot(config: Pick<EnricherConfig, 'threatlistCsv'>): DynamicModule {
    return {
      module: ThreatIntelModule,
      global: true,
      providers: [{ provide: STATIC_INDICATORS, useFactory: () => loadThreatlistCsv(config) }, LiveThreatIntel],
      exports: [LiveThreatIntel],
    };
  }
}
