import { DynamicModule, Module } from '@nestjs/common';
import { AuthModule } from '@telemetry/auth';
import { ControlModule } from '@telemetry/control';
import { EnricherModule, GeoModule, LookupModule, ThreatIntelModule } from '@telemetry/enricher';
import { IngestModule } from '@telemetry/ingest';
import { PersistenceModule, SQL_STORE } from '@telemetry/persistence';
import { HealthModule, PlatformModule } from '@telemetry/platform';
import { QueryModule } from '@telemetry/query';
import { SinkModule } from '@telemetry/sink';
import { AllInOneConfig } from './all-in-one.config';

/** Every role's modules in one process, sharing one event log (embedded by default) and one SQL store; the sinks whose destination is configured. */
@Module({})
export class AllInOneModule {
  static forConfig(config: AllInOneConfig): DynamicModule {
    return {
      module: AllInOneModule,
      imports: [
        PlatformModule.forRoot(config.platform),
        AuthModule.forRoot(config.auth),
        ControlModule.forRoot({ ...config.auth, defaultRetentionDays: config.platform.runtime.retentionDays, adminApi: true, ...config.feeds }),
        PersistenceModule.forRoot(config.platform.runtime.database),
        IngestModule.forRoot(config.ingest),
        ThreatIntelModule.forRoot(config.enricher),
        // One set of GeoIP/ASN databases for the process: enrichment and the geo admin routes share it.
        GeoModule.forRoot(config.geo, { adminApi: true }),
        EnricherModule.forRoot(config.enricher),
        LookupModule.forRoot(config.enricher),
        QueryModule.forRoot(config.sinks),
        SinkModule.forRoot(config.sinks, config.platform),
        HealthModule.forRoot({ database: SQL_STORE }),
      ],
    };
  }
}
