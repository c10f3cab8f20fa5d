import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Registry } from 'prom-client';
import { buildAsnDb, buildCityDb, defaultAsnFixture, MmdbWriter } from '@telemetry/testing';
import type { GeoConfig } from '../geo.config';
import { GeoLifecycle } from '../geo-lifecycle.service';
import { GeoMetrics } from '../geo.metrics';
import { GeoUploadService } from './geo-upload.service';

describe('storing an uploaded GeoIP database', () => {
  let dir: string;
  let lifecycle: GeoLifecycle;
  let uploads: GeoUploadService;
  let asnPath: string;

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'geo-upload-'));
    asnPath = path.join(dir, 'GeoLite2-ASN.mmdb');
    fs.writeFileSync(asnPath, buildAsnDb([...defaultAsnFixture]));
    const config: GeoConfig = {
      // No City path: uploads of a City database go to DATA_DIR/geoip/city.mmdb, where a small one already is
      // (so this spec does not load the embedded City data).
      asnPath,
      dataDir: path.join(dir, 'data'),
      watch: false,
      pollIntervalMs: 0,
      maxBytes: 1024 * 1024,
      download: { baseUrl: 'http://127.0.0.1:9', editions: [] },
    };
    fs.mkdirSync(path.join(dir, 'data', 'geoip'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'data', 'geoip', 'city.mmdb'), buildCityDb([{ cidr: '8.8.8.0/24', country: 'US', city: 'Mountain View' }]));
    lifecycle = new GeoLifecycle(config, new GeoMetrics(new Registry()));
    await lifecycle.start();
    uploads = new GeoUploadService(lifecycle);
  });

  afterEach(() => {
    lifecycle.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('writes a City database of a kind with no configured path into DATA_DIR/geoip/ and serves it', async () => {
    const uploaded = buildCityDb([{ cidr: '8.8.8.0/24', country: 'US', city: 'Palo Alto' }], { buildEpoch: Date.UTC(2026, 9, 1) / 1000 });
    const answer = await uploads.store({ buffer: uploaded, originalname: 'GeoLite2-City.mmdb' });
    const target = path.join(dir, 'data', 'geoip', 'city.mmdb');
    expect(answer).toEqual({
      blob_id: expect.any(String),
      path: target,
      size: uploaded.length,
      checksum: createHash('sha256').update(uploaded).digest('hex'),
      database_type: 'GeoLite2-City',
      build_date: '2026-10-01T00:00:00.000Z',
      kind: 'city',
      status: 'loaded',
    });
    expect(fs.readFileSync(target).equals(uploaded)).toBe(true);
    expect(lifecycle.lookup.city('8.8.8.8')?.city).toBe('Palo Alto');
    expect(lifecycle.status().city.source).toBe('data_dir');
  });

  it('refuses a missing file, a file that is not an mmdb and a database of another type, storing nothing', async () => {
    await expect(uploads.store(undefined)).rejects.toMatchObject({ code: 'file_required', status: 400 });
    await expect(uploads.store({ buffer: Buffer.from('1.2.3.0/24,GB\n') })).rejects.toMatchObject({ code: 'not_mmdb', status: 400 });
    const anonymousIp = new MmdbWriter({ databaseType: 'GeoIP2-Anonymous-IP', ipVersion: 6, languages: [] });
    anonymousIp.insert('1.2.3.0/24', { is_anonymous: true });
    await expect(uploads.store({ buffer: anonymousIp.toBuffer() })).rejects.toMatchObject({
      code: 'unsupported_database_type',
      status: 422,
      details: { database_type: 'GeoIP2-Anonymous-IP' },
    });
    expect(lifecycle.lookup.city('8.8.8.8')?.city).toBe('Mountain View');
  });

  it('answers geoip_not_writable when the target cannot be written, keeping the loaded database', async () => {
    // The ASN path's directory replaced by a file: nothing can be created under it.
    fs.rmSync(asnPath);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.writeFileSync(dir, 'not a directory');
    try {
      await expect(uploads.store({ buffer: buildAsnDb([...defaultAsnFixture]) })).rejects.toMatchObject({
        code: 'geoip_not_writable',
        status: 409,
        details: { path: asnPath },
      });
      expect(lifecycle.lookup.asn('8.8.8.8')?.organization).toBe('GOOGLE');
    } finally {
      fs.rmSync(dir, { force: true });
    }
  });
});
