import { DynamicModule, Module } from '@nestjs/common';
import { MulterModule } from '@nestjs/platform-express';
import { GeoDownloadService } from './download/geo-download.service';
import { GEO_CONFIG, type GeoConfig } from './geo.config';
import { GeoHttpController } from './geo.http.controller';
import { GeoLifecycle } from './geo-lifecycle.service';
import { GeoMetrics } from './geo.metrics';
import { GEO_LOOKUP } from './geo.tokens';
import { JobRegistry } from './jobs/job-registry';
import { JobsHttpController } from './jobs/jobs.http.controller';
import { GeoUploadHttpController, UploadRefusalInterceptor } from './upload/geo-upload.http.controller';
import { GeoUploadService } from './upload/geo-upload.service';

export interface GeoModuleOptions {
  /** Serve the admin routes (/v1/geo/*, /v1/upload/geoip, /v1/jobs): the query-api and the all-in-one, which have the auth guard. */
  readonly adminApi: boolean;
}

/**
 * The GeoIP/ASN databases of a process, once per process (imported by the app module; global, so
 * the enricher and the query side of the all-in-one share one): GEO_LOOKUP, the live lookup the
 * enricher injects, and GeoLifecycle, which loads, watches and reloads the files and reports
 * their status. With `adminApi`, also the upload, download, test and jobs routes.
 */
@Module({})
export class GeoModule {
  static forRoot(config: GeoConfig, options: GeoModuleOptions): DynamicModule {
    return {
      module: GeoModule,
      global: true,
      // The upload route's multer: in memory (the file is opened before it is written), one file, GEOIP_MAX_BYTES.
      imports: [MulterModule.register({ limits: { fileSize: config.maxBytes, files: 1, fields: 8 } })],
      controllers: options.adminApi ? [GeoHttpController, GeoUploadHttpController, JobsHttpController] : [],
      providers: [
        { provide: GEO_CONFIG, useValue: config },
        GeoMetrics,
        GeoLifecycle,
        { provide: GEO_LOOKUP, inject: [GeoLifecycle], useFactory: (lifecycle: GeoLifecycle) => lifecycle.lookup },
        JobRegistry,
        GeoDownloadService,
        GeoUploadService,
        UploadRefusalInterceptor,
      ],
      exports: [GEO_LOOKUP, GeoLifecycle, GEO_CONFIG],
    };
  }
}
