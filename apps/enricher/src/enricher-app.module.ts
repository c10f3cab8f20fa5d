import { DynamicModule, Module } from '@nestjs/common';
import { EnricherModule, GeoModule } from '@telemetry/enricher';
import { HealthModule, PlatformModule } from '@telemetry/platform';
import { EnricherAppConfig } from './enricher.config';

/** The enricher role: the ingress topics in, the enriched topic and the ingest DLQ out. */
@Module({})
export class EnricherAppModule {
  static forConfig(config: EnricherAppConfig): DynamicModule {
    return {
      module: EnricherAppModule,
      imports: [
        PlatformModule.forRoot(config.platform),
        // No admin routes here (no auth guard in this process): the query-api serves them and writes the files this process watches.
        GeoModule.forRoot(config.geo, { adminApi: false }),
        EnricherModule.forRoot(config.enricher),
        HealthModule.forRoot(),
      ],
    };
  }
}
