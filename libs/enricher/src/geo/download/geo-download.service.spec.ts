import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Registry } from 'prom-client';
import {
  buildAsnDb,
  buildCityDb,
  defaultAsnFixture,
  defaultCityFixture,
  type FakeMaxmind,
  maxmindEdition as edition,
  type MaxmindEditionFixture as Edition,
  startFakeMaxmind,
  waitFor,
} from '@telemetry/testing';
import type { GeoConfig } from '../geo.config';
import { GeoLifecycle } from '../geo-lifecycle.service';
import { GeoMetrics } from '../geo.metrics';
import { JobRegistry, type JobView } from '../jobs/job-registry';
import { GeoDownloadService } from './geo-download.service';

const ACCOUNT = '123456';
const LICENSE = 'test-license-key';
const BUILT = Date.UTC(2026, 10, 28) / 1000;

describe('the MaxMind download job', () => {
  let dir: string;
  let cityPath: string;
  let asnPath: string;
  let lifecycle: GeoLifecycle | undefined;
  let server: FakeMaxmind | undefined;
  let registry: Registry;

  const oldCity = buildCityDb([...defaultCityFixture]);
  const oldAsn = buildAsnDb([...defaultAsnFixture]);
  const newCity = buildCityDb([{ cidr: '8.8.8.0/24', country: 'US', city: 'Palo Alto' }], { buildEpoch: BUILT, description: 'downloaded' });
  const newAsn = buildAsnDb([{ cidr: '8.8.8.0/24', asn: 15169, organization: 'GOOGLE LLC' }], { buildEpoch: BUILT });

  async function setUp(editions: Record<string, Edition>, download: Partial<GeoConfig['download']> = {}) {
    server = await startFakeMaxmind({ accountId: ACCOUNT, licenseKey: LICENSE }, editions);
    const config: GeoConfig = {
      cityPath,
      asnPath,
      dataDir: dir,
      watch: false,
      pollIntervalMs: 0,
      maxBytes: 16 * 1024 * 1024,
      download: { accountId: ACCOUNT, licenseKey: LICENSE, baseUrl: server.baseUrl, editions: ['GeoLite2-City', 'GeoLite2-ASN'], ...download },
    };
    registry = new Registry();
    const metrics = new GeoMetrics(registry);
    lifecycle = new GeoLifecycle(config, metrics);
    await lifecycle.start();
    const jobs = new JobRegistry();
    return { jobs, lifecycle, downloads: new GeoDownloadService(config, lifecycle, jobs, metrics) };
  }

  const finished = (jobs: JobRegistry, id: string): Promise<JobView> =>
    waitFor(
      () => {
        const job = jobs.get(id);
        return job && (job.status === 'completed' || job.status === 'failed') ? job : undefined;
      },
      { timeoutMs: 20_000, description: `job ${id} finished` },
    );

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'geo-download-'));
    cityPath = path.join(dir, 'GeoLite2-City.mmdb');
    asnPath = path.join(dir, 'GeoLite2-ASN.mmdb');
    fs.writeFileSync(cityPath, oldCity);
    fs.writeFileSync(asnPath, oldAsn);
  });

  afterEach(async () => {
    lifecycle?.stop();
    await server?.close();
    lifecycle = undefined;
    server = undefined;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('downloads each edition, verifies and unpacks it, replaces the files and serves them', async () => {
    const { jobs, lifecycle, downloads } = await setUp({ 'GeoLite2-City': edition('GeoLite2-City', newCity), 'GeoLite2-ASN': edition('GeoLite2-ASN', newAsn) });
    const started = downloads.start();
    expect(started).toMatchObject({ type: 'geoip_download', status: 'queued', progress: 0, error: null });

    const job = await finished(jobs, started.id);
    expect(job).toMatchObject({ status: 'completed', progress: 1, error: null });
    expect(job.bytes_downloaded).toBeGreaterThan(0);
    expect(job.result).toEqual({
      databases: [
        expect.objectContaining({
          edition: 'GeoLite2-City',
          kind: 'city',
          database_type: 'GeoLite2-City',
          path: cityPath,
          build_date: '2026-11-28T00:00:00.000Z',
          status: 'loaded',
        }),
        expect.objectContaining({ edition: 'GeoLite2-ASN', kind: 'asn', database_type: 'GeoLite2-ASN', path: asnPath, status: 'loaded' }),
      ],
    });
    expect(fs.readFileSync(cityPath).equals(newCity)).toBe(true);
    expect(fs.readFileSync(asnPath).equals(newAsn)).toBe(true);
    // Only the database itself was written: no temporary files left beside it.
    expect(fs.readdirSync(dir).sort()).toEqual(['GeoLite2-ASN.mmdb', 'GeoLite2-City.mmdb']);
    expect(lifecycle.lookup.city('8.8.8.8')?.city).toBe('Palo Alto');
    expect(lifecycle.lookup.asn('8.8.8.8')?.organization).toBe('GOOGLE LLC');
    expect(lifecycle.status().city.buildDate).toBe('2026-11-28T00:00:00.000Z');
    expect(server!.requests).toEqual([
      'GET /geoip/databases/GeoLite2-City/download?suffix=tar.gz.sha256',
      'GET /geoip/databases/GeoLite2-City/download?suffix=tar.gz',
      'GET /storage/GeoLite2-City.tar.gz',
      'GET /geoip/databases/GeoLite2-ASN/download?suffix=tar.gz.sha256',
      'GET /geoip/databases/GeoLite2-ASN/download?suffix=tar.gz',
      'GET /storage/GeoLite2-ASN.tar.gz',
    ]);
    expect(jobs.list().map((listed) => listed.id)).toEqual([started.id]);
  });

  it('fails the job on a checksum mismatch, with the reason, and leaves every file as it was', async () => {
    const city = edition('GeoLite2-City', newCity);
    const { jobs, lifecycle, downloads } = await setUp({
      'GeoLite2-City': city,
      'GeoLite2-ASN': { ...edition('GeoLite2-ASN', newAsn), sha256: 'f'.repeat(64) },
    });
    const job = await finished(jobs, downloads.start().id);
    expect(job).toMatchObject({
      status: 'failed',
      error: { code: 'checksum_mismatch', message: expect.stringContaining(`MaxMind published ${'f'.repeat(64)}`) },
    });
    // The City edition was good, but nothing is replaced unless every edition is.
    expect(fs.readFileSync(cityPath).equals(oldCity)).toBe(true);
    expect(fs.readFileSync(asnPath).equals(oldAsn)).toBe(true);
    expect(lifecycle.lookup.city('8.8.8.8')?.city).toBe('Mountain View');
    const failed = (await registry.getSingleMetric('telemetry_geo_download_jobs_total')?.get())?.values;
    expect(failed).toEqual([expect.objectContaining({ labels: { outcome: 'failed' }, value: 1 })]);
  });

  it('fails with maxmind_unauthorized on refused credentials, and edition_not_found on an unknown edition', async () => {
    const { jobs, downloads } = await setUp({ 'GeoLite2-City': edition('GeoLite2-City', newCity) }, { licenseKey: 'wrong' });
    expect(await finished(jobs, downloads.start().id)).toMatchObject({ status: 'failed', error: { code: 'maxmind_unauthorized' } });
    lifecycle!.stop();
    await server!.close();

    const second = await setUp({ 'GeoLite2-City': edition('GeoLite2-City', newCity) }, { editions: ['GeoLite2-Country'] });
    expect(await finished(second.jobs, second.downloads.start().id)).toMatchObject({ status: 'failed', error: { code: 'edition_not_found' } });
    expect(fs.readFileSync(cityPath).equals(oldCity)).toBe(true);
  });

  it('fails with not_mmdb when the archive holds a file that is not a MaxMind DB', async () => {
    const { jobs, downloads } = await setUp({ 'GeoLite2-City': edition('GeoLite2-City', Buffer.from('not a database')) }, { editions: ['GeoLite2-City'] });
    expect(await finished(jobs, downloads.start().id)).toMatchObject({ status: 'failed', error: { code: 'not_mmdb' } });
    expect(fs.readFileSync(cityPath).equals(oldCity)).toBe(true);
  });

  it('refuses to start without credentials, naming the missing variables, and while another download runs', async () => {
    const { downloads } = await setUp({}, { accountId: undefined, licenseKey: undefined });
    expect(() => downloads.start()).toThrow(
      expect.objectContaining({ code: 'geoip_download_not_configured', status: 409, details: { missing: ['MAXMIND_ACCOUNT_ID', 'MAXMIND_LICENSE_KEY'] } }),
    );
    lifecycle!.stop();
    await server!.close();

    const second = await setUp({ 'GeoLite2-City': edition('GeoLite2-City', newCity) }, { editions: ['GeoLite2-City'] });
    const first = second.downloads.start();
    expect(() => second.downloads.start()).toThrow(expect.objectContaining({ code: 'geoip_download_running', status: 409, details: { job_id: first.id } }));
    await finished(second.jobs, first.id);
  });
});
