import { DynamicModule, Module } from '@nestjs/common';
import { API_KEY_STORE, TENANT_DIRECTORY } from '@telemetry/auth';
import { ApiKeysHttpController, ApiKeysService, LegacyKeysHttpController } from './admin/api-keys.http.controller';
import { TenantsHttpController } from './admin/tenants.http.controller';
import { ControlKeyResolver } from './api-keys/control-key.resolver';
import { CONTROL_CONFIG, ControlConfig } from './control.config';
import { ControlMetrics } from './control.metrics';
import { ControlPlaneService } from './control-plane.service';
import { ControlSeeding } from './control-seeding';

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
      controllers: config.adminApi ? [TenantsHttpController, ApiKeysHttpController, LegacyKeysHttpController] : [],
      providers: [
        { provide: CONTROL_CONFIG, useValue: config },
        ControlMetrics,
        ControlPlaneService,
        ControlKeyResolver,
        ControlSeeding,
        ApiKeysService,
        { provide: API_KEY_STORE, useExisting: ControlKeyResolver },
        { provide: TENANT_DIRECTORY, useExisting: ControlKeyResolver },
      ],
      exports: [ControlPlaneService, API_KEY_STORE, TENANT_DIRECTORY, CONTROL_CONFIG],
    };
  }
}
