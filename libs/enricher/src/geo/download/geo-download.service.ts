import { createHash } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { writeFileAtomic } from '../atomic-file';
import { GEO_CONFIG, type GeoConfig } from '../geo.config';
import { GeoDownloadError, GeoRequestError } from '../geo.errors';
import { GeoLifecycle } from '../geo-lifecycle.service';
import { GeoMetrics } from '../geo.metrics';
import { JobRegistry, type JobReporter, type JobView } from '../jobs/job-registry';
import { type DownloadedEdition, downloadMaxmindEdition } from './maxmind.download';

export const GEOIP_DOWNLOAD_JOB = 'geoip_download';
/** A whole download job (every edition) gives up after this long. */
const DOWNLOAD_TIMEOUT_MS = 15 * 60 * 1000;

/**
 * POST /v1/geo/download: a job that fetches the configured MaxMind editions, verifies and opens
 * each, and only when all of them are good replaces the database files (write + rename), then
 * reloads them in this process; other processes watching the same files reload them on their own.
 */
@Injectable()
export class GeoDownloadService {
  private readonly logger = new Logger('geoip');

  constructor(
    @Inject(GEO_CONFIG) private readonly config: GeoConfig,
    private readonly lifecycle: GeoLifecycle,
    private readonly jobs: JobRegistry,
    private readonly metrics: GeoMetrics,
  ) {}

  /** Starts a download job; GeoRequestError when downloads are not configured or one is already running. */
  start(): JobView {
    const { accountId, licenseKey } = this.config.download;
    const missing = [accountId ? null : 'MAXMIND_ACCOUNT_ID', licenseKey ? null : 'MAXMIND_LICENSE_KEY'].filter((name): name is string => name !== null);
    if (missing.length > 0) {
      throw new GeoRequestError('geoip_download_not_configured', 409, `MaxMind downloads need ${missing.join(' and ')} in this process's environment`, {
        missing,
      });
    }
    const running = this.jobs.active(GEOIP_DOWNLOAD_JOB);
    if (running) throw new GeoRequestError('geoip_download_running', 409, `Download job ${running.id} is still ${running.status}`, { job_id: running.id });
    return this.jobs.start(GEOIP_DOWNLOAD_JOB, (reporter) => this.run(reporter, accountId!, licenseKey!));
  }

  private async run(reporter: JobReporter, accountId: string, licenseKey: string): Promise<Record<string, unknown>> {
    try {
      const result = await this.downloadAndReplace(reporter, accountId, licenseKey);
      this.metrics.downloadFinished('completed');
      return result;
    } catch (error) {
      this.metrics.downloadFinished('failed');
      throw error;
    }
  }

  private async downloadAndReplace(reporter: JobReporter, accountId: string, licenseKey: string): Promise<Record<string, unknown>> {
    const { editions, baseUrl } = this.config.download;
    const signal = AbortSignal.timeout(DOWNLOAD_TIMEOUT_MS);
    const downloaded: DownloadedEdition[] = [];
    let before = 0;
    // Every edition is fetched and verified before any file is replaced: a failure leaves them all as they were.
    for (const [index, edition] of editions.entries()) {
      const file = await downloadMaxmindEdition({
        baseUrl,
        edition,
        accountId,
        licenseKey,
        maxBytes: this.config.maxBytes,
        signal,
        onBytes: (bytes) => reporter.progress((index + 0.5) / (editions.length + 1), before + bytes),
      });
      const clash = downloaded.find((other) => other.kind === file.kind);
      if (clash)
        throw new GeoDownloadError(
          'editions_conflict',
          `${clash.edition} and ${edition} are both ${file.kind} databases; MAXMIND_EDITIONS may name one of each`,
          false,
        );
      downloaded.push(file);
      before += file.data.length;
      reporter.progress((index + 1) / (editions.length + 1), before);
    }
    const databases: Record<string, unknown>[] = [];
    for (const file of downloaded) {
      const path = this.lifecycle.targetPath(file.kind);
      await writeFileAtomic(path, file.data).catch((error: unknown) => {
        throw new GeoDownloadError('write_failed', `Cannot store ${file.edition} at ${path}: ${(error as Error).message}`, false, { cause: error });
      });
      const status = await this.lifecycle.refresh(file.kind);
      this.logger.log(`${file.edition} (built ${file.info.buildEpoch.toISOString()}) written to ${path}`);
      databases.push({
        edition: file.edition,
        database_type: file.info.databaseType,
        kind: file.kind,
        build_date: file.info.buildEpoch.toISOString(),
        path,
        size: file.data.length,
        checksum: createHash('sha256').update(file.data).digest('hex'),
        archive_sha256: file.archiveSha256,
        status: status.status,
      });
    }
    return { databases };
  }
}
