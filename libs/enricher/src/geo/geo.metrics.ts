import { Inject, Injectable } from '@nestjs/common';
import { METRICS_REGISTRY } from '@telemetry/platform';
import { Counter, Gauge, Registry } from 'prom-client';
import type { GeoDatabaseKind } from './geo-database';

/** The GeoIP/ASN lifecycle's instruments; the lifecycle and the download job report through these methods only. */
@Injectable()
export class GeoMetrics {
  private readonly reloads: Counter<'database' | 'outcome'>;
  private readonly buildTime: Gauge<'database'>;
  private readonly downloads: Counter<'outcome'>;

  constructor(@Inject(METRICS_REGISTRY) registry: Registry) {
    this.reloads = new Counter({
      name: 'telemetry_geo_reloads_total',
      help: 'GeoIP/ASN database loads (at start and on change), by database (city, asn) and outcome (loaded, failed: the last good database stays).',
      labelNames: ['database', 'outcome'],
      registers: [registry],
    });
    this.buildTime = new Gauge({
      name: 'telemetry_geo_database_build_timestamp_seconds',
      help: 'Build time (mmdb build_epoch, seconds since the epoch) of the GeoIP/ASN database being served, by database (city, asn).',
      labelNames: ['database'],
      registers: [registry],
    });
    this.downloads = new Counter({
      name: 'telemetry_geo_download_jobs_total',
      help: 'MaxMind download jobs finished, by outcome (completed, failed).',
      labelNames: ['outcome'],
      registers: [registry],
    });
  }

  loaded(kind: GeoDatabaseKind, buildEpoch: Date | null): void {
    this.reloads.inc({ database: kind, outcome: 'loaded' });
    if (buildEpoch) this.buildTime.set({ database: kind }, Math.floor(buildEpoch.getTime() / 1000));
    else this.buildTime.remove({ database: kind });
  }

  failed(kind: GeoDatabaseKind): void {
    this.reloads.inc({ database: kind, outcome: 'failed' });
  }

  downloadFinished(outcome: 'completed' | 'failed'): void {
    this.downloads.inc({ outcome });
  }
}
