import { DynamicModule, Module } from '@nestjs/common';
import { ControlPlaneService } from '@telemetry/control';
import { BUILT_IN_POLICIES, ORIGINAL_LIVE_POLICY } from '@telemetry/enrichment';
import type { EnricherConfig } from '../enricher.config';
import { tenantRiskPolicy } from '../tenant-risk-policy';
import { LOOKUP_POLICY, LookupHttpController } from './lookup.http.controller';
import { SystemIntelHttpController } from './system-intel.http.controller';

/** POST /v1/lookup and GET /v1/system (enrichment data), for the processes that serve the API (query-api, all-in-one); needs GeoModule, ThreatIntelModule and the control plane. */
@Module({})
export class LookupModule {
  static forRoot(config: Pick<EnricherConfig, 'riskPolicy'>): DynamicModule {
    const policy = BUILT_IN_POLICIES[config.riskPolicy ?? ORIGINAL_LIVE_POLICY.name] ?? ORIGINAL_LIVE_POLICY;
    return {
      module: LookupModule,
      controllers: [LookupHttpController, SystemIntelHttpController],
      providers: [{ provide: LOOKUP_POLICY, inject: [ControlPlaneService], useFactory: (control: ControlPlaneService) => tenantRiskPolicy(control, policy) }],
    };
  }
}
