import { DynamicModule, Module } from '@nestjs/common';
import { GEO_CONFIG, type GeoConfig } from './geo.config';
import { GeoLifecycle } from './geo-lifecycle.service';
import { GeoMetrics } from './geo.metrics';
import { GEO_LOOKUP } from './geo.tokens';

export interface GeoModuleOptions {
  /** Serve the admin routes (/v1/geo/*, /v1/upload/geoip, /v1/jobs): the query-api and the all-in-one, which have the auth guard. */
  readonly adminApi: boolean;
}

/**
 * The GeoIP/ASN databases of a process, once per process (imported by the app module; global, so
 * the enricher and the query side of the all-in-one share one): GEO_LOOKUP, the live lookup the
 * enricher injects, and GeoLifecycle, which loads, watches and reloads the files and reports
 * their status.
 */
@Module({})
export class GeoModule {
  static forRoot(config: GeoConfig, _options: GeoModuleOptions): DynamicModule {
    return {
      module: GeoModule,
      global: true,
      providers: [
        { provide: GEO_CONFIG, useValue: config },
        GeoMetrics,
        GeoLifecycle,
        { provide: GEO_LOOKUP, inject: [GeoLifecycle], useFactory: (lifecycle: GeoLifecycle) => lifecycle.lookup },
      ],
      exports: [GEO_LOOKUP, GeoLifecycle, GEO_CONFIG],
    };
  }
}
