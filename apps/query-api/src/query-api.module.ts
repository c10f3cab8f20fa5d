import { DynamicModule, Module } from '@nestjs/common';
import { AuthModule } from '@telemetry/auth';
import { ControlModule } from '@telemetry/control';
import { GeoModule, LookupModule, ThreatIntelModule } from '@telemetry/enricher';
import { PersistenceModule, SQL_STORE } from '@telemetry/persistence';
import { HealthModule, PlatformModule } from '@telemetry/platform';
import { QueryModule } from '@telemetry/query';
import { QueryApiConfig } from './query-api.config';

/** The query role: projections into SQL and the authenticated read and DLQ endpoints. */
@Module({})
export class QueryApiModule {
  static forConfig(config: QueryApiConfig): DynamicModule {
    return {
      module: QueryApiModule,
      imports: [
        PlatformModule.forRoot(config.platform),
        AuthModule.forRoot(config.auth),
        ControlModule.forRoot({ ...config.auth, defaultRetentionDays: config.platform.runtime.retentionDays, adminApi: true, ...config.feeds }),
        PersistenceModule.forRoot(config.platform.runtime.database),
        QueryModule.forRoot(config.sinks),
        GeoModule.forRoot(config.geo, { adminApi: true }),
        // The live matcher (the control plane's indicators) behind POST /v1/lookup.
        ThreatIntelModule.forRoot(config.intel),
        LookupModule.forRoot(config.intel),
        HealthModule.forRoot({ database: SQL_STORE }),
      ],
    };
  }
}
