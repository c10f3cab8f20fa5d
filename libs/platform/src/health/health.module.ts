import { DynamicModule, InjectionToken, Module } from '@nestjs/common';
import { HealthHttpController } from './health.http.controller';
import { READINESS_DATABASE } from './health.tokens';
import { ReadinessService } from './readiness.service';

export interface HealthModuleOptions {
  /** The token of the app's SQL store (SQL_STORE of libs/persistence), where the app has one: readiness pings it. */
  readonly database?: InjectionToken;
  /** The module that exports `database`, when it is not global (e.g. the ingest module for its own store). */
  readonly databaseModule?: DynamicModule;
}

/**
 * GET /health/live and /health/ready. Every app module imports it once, after PlatformModule, and
 * names its SQL store if it has one (the platform cannot import libs/persistence, which imports it).
 */
@Module({})
export class HealthModule {
  static forRoot(options: HealthModuleOptions = {}): DynamicModule {
    return {
      module: HealthModule,
      imports: options.databaseModule ? [options.databaseModule] : [],
      controllers: [HealthHttpController],
      providers: [ReadinessService, ...(options.database ? [{ provide: READINESS_DATABASE, useExisting: options.database }] : [])],
    };
  }
}
