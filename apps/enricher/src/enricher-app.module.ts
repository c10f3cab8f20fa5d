import { DynamicModule, Module } from '@nestjs/common';
import { DEFAULT_TENANT } from '@telemetry/contracts';
import { ControlModule } from '@telemetry/control';
import { EnricherModule, GeoModule, ThreatIntelModule } from '@telemetry/enricher';
import { HealthModule, PlatformModule } from '@telemetry/platform';
import { EnricherAppConfig } from './enricher.config';

/** The enricher role: the ingress topics in, the enriched topic and the ingest DLQ out; the control plane folded for its indicators. */
@Module({})
export class EnricherAppModule {
  static forConfig(config: EnricherAppConfig): DynamicModule {
    return {
      module: EnricherAppModule,
      imports: [
        PlatformModule.forRoot(config.platform),
        ControlModule.forFold({ defaultTenant: DEFAULT_TENANT }),
        ThreatIntelModule.forRoot(config.enricher),
        // No admin routes here (no auth guard in this process): the query-api serves them and writes the files this process watches.
        GeoModule.forRoot(config.geo, { adminApi: false }),
        EnricherModule.forRoot(config.enricher),
        HealthModule.forRoot(),
      ],
    };
  }
}
