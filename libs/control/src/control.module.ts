import { DynamicModule, Module } from '@nestjs/common';
import { API_KEY_STORE, TENANT_DIRECTORY } from '@telemetry/auth';
import { ApiKeysHttpController, ApiKeysService, LegacyKeysHttpController } from './admin/api-keys.http.controller';
import { TenantsHttpController } from './admin/tenants.http.controller';
import { IndicatorsHttpController, IndicatorsService } from './admin/indicators.http.controller';
import { FeedsHttpController, FeedsService } from './admin/feeds.http.controller';
import { SourcesHttpController, SourcesService } from './admin/sources.http.controller';
import { FeatureFlagsHttpController, FeatureFlagsService } from './flags/feature-flags.http.controller';
import { FeedScheduler } from './intel/feed-scheduler';
import { ControlKeyResolver } from './api-keys/control-key.resolver';
import { CONTROL_CONFIG, ControlConfig } from './control.config';
import { ControlMetrics } from './control.metrics';
import { ControlPlaneService } from './control-plane.service';
import { ControlSeeding } from './control-seeding';
import { IngestAdmissionService } from './sources/ingest-admission.service';
import { INGEST_ADMISSION } from '@telemetry/contracts';

/**
 * The control plane of a process: the fold of telemetry.control.v1, the API keys the guard checks,
 * the seeding at start, and (for the query-api and the all-in-one) the admin API.
 */
@Module({})
export class ControlModule {
  static forRoot(config: ControlConfig): DynamicModule {
    return {
      module: ControlModule,
      global: true,
      controllers: config.adminApi
        ? [
            TenantsHttpController,
            ApiKeysHttpController,
            LegacyKeysHttpController,
            FeedsHttpController,
            IndicatorsHttpController,
            SourcesHttpController,
            FeatureFlagsHttpController,
          ]
        : [],
      providers: [
        { provide: CONTROL_CONFIG, useValue: config },
        ControlMetrics,
        ControlPlaneService,
        ControlKeyResolver,
        ControlSeeding,
        ApiKeysService,
        IndicatorsService,
        FeedsService,
        SourcesService,
        FeatureFlagsService,
        FeedScheduler,
        IngestAdmissionService,
        { provide: INGEST_ADMISSION, useExisting: IngestAdmissionService },
        { provide: API_KEY_STORE, useExisting: ControlKeyResolver },
        { provide: TENANT_DIRECTORY, useExisting: ControlKeyResolver },
      ],
      exports: [ControlPlaneService, API_KEY_STORE, TENANT_DIRECTORY, CONTROL_CONFIG, FeatureFlagsService, INGEST_ADMISSION],
    };
  }

  /**
   * The control plane folded, nothing more: for a process that serves no API keys (the enricher
   * follows the indicators and tenants). It seeds nothing and decides no admin command.
   */
  static forFold(options: { readonly defaultTenant: string }): DynamicModule {
    const config: ControlConfig = {
      seedKeys: [],
      defaultTenant: options.defaultTenant,
      rateLimitPerMin: 0,
      authFailuresPerMin: 0,
      keyRotationGraceS: 0,
      defaultRetentionDays: 0,
      adminApi: false,
      foldIntel: true,
    };
    return {
      module: ControlModule,
      global: true,
      providers: [{ provide: CONTROL_CONFIG, useValue: config }, ControlMetrics, ControlPlaneService],
      exports: [ControlPlaneService, CONTROL_CONFIG],
    };
  }
}
