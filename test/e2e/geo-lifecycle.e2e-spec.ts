import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import request from 'supertest';
import type { EnrichedFlow } from '@telemetry/contracts';
import { buildAsnDb, buildCityDb, type FakeMaxmind, maxmindEdition, startFakeMaxmind, uniqueName, waitFor } from '@telemetry/testing';
import { RunningProduct, startProduct, TEST_KEY } from './all-in-one.harness';

const auth = { Authorization: `Bearer ${TEST_KEY}` };
const MAXMIND = { accountId: '424242', licenseKey: 'e2e-license-key' };
const MAX_BYTES = 64 * 1024;
const epoch = (iso: string) => Date.parse(iso) / 1000;

/** A City database where 8.8.8.8 is in `city`, built at `built`. */
const cityDb = (city: string, built: string) =>
  buildCityDb([{ cidr: '8.8.8.0/24', country: 'US', city, latitude: 37.4, longitude: -122.1, timeZone: 'America/Los_Angeles' }], { buildEpoch: epoch(built) });
const asnDb = (organization: string, built: string) => buildAsnDb([{ cidr: '8.8.8.0/24', asn: 15169, organization }], { buildEpoch: epoch(built) });

async function geoTest(product: RunningProduct, ip = '8.8.8.8') {
  return (await request(product.server).get('/v1/geo/test').query({ ip }).set(auth).expect(200)).body as {
    ip: string;
    geo: { city: string | null } | null;
    asn: { number: number; organization: string | null } | null;
  };
}

async function buildTimestamp(product: RunningProduct, database: 'city' | 'asn'): Promise<number | undefined> {
  const text = (await request(product.server).get('/v1/metrics/prometheus').expect(200)).text;
  const line = text.split('\n').find((candidate) => candidate.startsWith(`telemetry_geo_database_build_timestamp_seconds{database="${database}"}`));
  return line ? Number(line.split(' ').pop()) : undefined;
}

describe.each(['embedded', 'kafka'] as const)('GeoIP/ASN databases on the all-in-one (%s mode): upload, download, reload without a restart', (mode) => {
  let product: RunningProduct;
  let maxmind: FakeMaxmind;
  let cityPath: string;
  let asnPath: string;

  beforeAll(async () => {
    maxmind = await startFakeMaxmind(MAXMIND, {
      'GeoLite2-City': maxmindEdition('GeoLite2-City', cityDb('Redwood City', '2026-11-28T00:00:00Z')),
      'GeoLite2-ASN': maxmindEdition('GeoLite2-ASN', asnDb('GOOGLE DOWNLOADED', '2026-11-28T00:00:00Z')),
    });
    product = await startProduct(mode, {
      MAXMIND_ACCOUNT_ID: MAXMIND.accountId,
      MAXMIND_LICENSE_KEY: MAXMIND.licenseKey,
      MAXMIND_DOWNLOAD_URL: maxmind.baseUrl,
      MAXMIND_EDITIONS: 'GeoLite2-City,GeoLite2-ASN',
      // The fixtures are a few kilobytes; a small cap makes the size limit testable.
      GEOIP_MAX_BYTES: String(MAX_BYTES),
    });
    // The harness points GEOIP_DB_CITY / GEOIP_DB_ASN at its fixtures in the data dir.
    cityPath = path.join(product.dataDir, 'city.mmdb');
    asnPath = path.join(product.dataDir, 'asn.mmdb');
  });

  afterAll(async () => {
    await product?.close();
    await maxmind?.close();
  });

  it('answers GET /v1/geo/test from the live databases, and 422 on a missing or invalid ip', async () => {
    expect(await geoTest(product)).toEqual({
      ip: '8.8.8.8',
      geo: expect.objectContaining({ country: 'US', city: 'Mountain View' }),
      asn: { number: 15169, organization: 'GOOGLE' },
    });
    expect(await geoTest(product, '10.0.0.1')).toEqual({ ip: '10.0.0.1', geo: null, asn: null });
    for (const query of [{}, { ip: 'not-an-ip' }, { ip: '8.8.8.256' }]) {
      const refused = await request(product.server).get('/v1/geo/test').query(query).set(auth).expect(422);
      expect(refused.body).toMatchObject({ error: 'validation_failed', errors: [{ field: 'ip', message: expect.any(String) }] });
    }
  });

  it('stores an uploaded City database over GEOIP_DB_CITY, answers its metadata, and enriches with it at once', async () => {
    const uploaded = cityDb('Palo Alto', '2026-10-01T00:00:00Z');
    const response = await request(product.server).post('/v1/upload/geoip').set(auth).attach('f', uploaded, 'GeoLite2-City.mmdb').expect(200);
    expect(response.body).toEqual({
      blob_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      path: cityPath,
      size: uploaded.length,
      checksum: createHash('sha256').update(uploaded).digest('hex'),
      database_type: 'GeoLite2-City',
      build_date: '2026-10-01T00:00:00.000Z',
      kind: 'city',
      status: 'loaded',
    });
    expect(fs.readFileSync(cityPath).equals(uploaded)).toBe(true);
    expect((await geoTest(product)).geo?.city).toBe('Palo Alto');
    expect(await buildTimestamp(product, 'city')).toBe(epoch('2026-10-01T00:00:00Z'));

    // The enricher holds the same live lookup: a flow ingested now is enriched from the uploaded file.
    const uid = uniqueName('geo-upload');
    await request(product.server)
      .post('/v1/ingest/zeek')
      .set(auth)
      .send([{ ts: Math.floor(Date.now() / 1000), uid, 'id.orig_h': '10.0.0.1', 'id.orig_p': 50000, 'id.resp_h': '8.8.8.8', 'id.resp_p': 53, proto: 'udp' }])
      .expect(202);
    const flow = await waitFor(
      async () => {
        const text = (await request(product.server).get('/v1/download/json').query({ limit: '100' }).set(auth).expect(200)).text;
        return text
          .split('\n')
          .filter((line) => line.includes(uid))
          .map((line) => JSON.parse(line) as EnrichedFlow)[0];
      },
      { timeoutMs: 60_000, description: 'the flow enriched and projected' },
    );
    expect(flow.geo.dst).toMatchObject({ city: 'Palo Alto' });
  });

  it('routes an uploaded ASN database to GEOIP_DB_ASN by its database type, and refuses what is not an mmdb', async () => {
    const uploaded = asnDb('GOOGLE UPLOADED', '2026-10-02T00:00:00Z');
    const response = await request(product.server).post('/v1/upload/geoip').set(auth).attach('f', uploaded, 'whatever.bin').expect(200);
    expect(response.body).toMatchObject({ path: asnPath, database_type: 'GeoLite2-ASN', kind: 'asn' });
    expect((await geoTest(product)).asn).toEqual({ number: 15169, organization: 'GOOGLE UPLOADED' });

    const refused = await request(product.server)
      .post('/v1/upload/geoip')
      .set(auth)
      .attach('f', Buffer.from('id,city\n1,x\n'), 'GeoLite2-City.mmdb')
      .expect(400);
    expect(refused.body).toMatchObject({ error: 'not_mmdb' });
    const empty = await request(product.server).post('/v1/upload/geoip').set(auth).expect(400);
    expect(empty.body).toMatchObject({ error: 'file_required' });
    const tooLarge = await request(product.server)
      .post('/v1/upload/geoip')
      .set(auth)
      .attach('f', Buffer.alloc(MAX_BYTES + 1), 'GeoLite2-City.mmdb')
      .expect(413);
    expect(tooLarge.body).toMatchObject({ error: 'payload_too_large', limit_bytes: MAX_BYTES });
    expect((await geoTest(product)).asn?.organization).toBe('GOOGLE UPLOADED');
  });

  it('runs a download job to completion against MAXMIND_DOWNLOAD_URL and serves the downloaded databases', async () => {
    const started = await request(product.server).post('/v1/geo/download').set(auth).expect(202);
    const jobId = started.body.job_id as string;
    expect(jobId).toMatch(/^[0-9a-f-]{36}$/);
    const job = await waitFor(
      async () => {
        const current = (await request(product.server).get(`/v1/jobs/${jobId}`).set(auth).expect(200)).body;
        return current.status === 'completed' || current.status === 'failed' ? current : undefined;
      },
      { timeoutMs: 30_000, description: 'the download job finished' },
    );
    expect(job).toMatchObject({ id: jobId, type: 'geoip_download', status: 'completed', progress: 1, error: null });
    expect(job.created_at).toEqual(expect.any(String));
    expect(job.updated_at).toEqual(expect.any(String));
    expect(job.result.databases).toEqual([
      expect.objectContaining({ edition: 'GeoLite2-City', path: cityPath, build_date: '2026-11-28T00:00:00.000Z', status: 'loaded' }),
      expect.objectContaining({ edition: 'GeoLite2-ASN', path: asnPath, build_date: '2026-11-28T00:00:00.000Z', status: 'loaded' }),
    ]);
    expect(await geoTest(product)).toMatchObject({ geo: { city: 'Redwood City' }, asn: { organization: 'GOOGLE DOWNLOADED' } });
    expect(await buildTimestamp(product, 'asn')).toBe(epoch('2026-11-28T00:00:00Z'));

    const list = (await request(product.server).get('/v1/jobs').set(auth).expect(200)).body as Array<{ id: string }>;
    expect(list.map((listed) => listed.id)).toContain(jobId);
    const missing = await request(product.server).get('/v1/jobs/00000000-0000-0000-0000-000000000000').set(auth).expect(404);
    expect(missing.body).toMatchObject({ error: 'job_not_found' });
  });

  it('reloads a database file replaced on disk by another writer, without a restart', async () => {
    // As geoipupdate or a deployment would: a new file beside it, renamed over it.
    const temporary = path.join(path.dirname(cityPath), '.city.mmdb.incoming');
    fs.writeFileSync(temporary, cityDb('Menlo Park', '2026-12-01T00:00:00Z'));
    fs.renameSync(temporary, cityPath);
    await waitFor(async () => (await geoTest(product)).geo?.city === 'Menlo Park', { timeoutMs: 30_000, description: 'the replaced file served' });
    expect(await buildTimestamp(product, 'city')).toBe(epoch('2026-12-01T00:00:00Z'));

    // A broken replacement keeps the last good database.
    fs.writeFileSync(temporary, 'truncated');
    fs.renameSync(temporary, cityPath);
    await waitFor(
      async () => {
        const text = (await request(product.server).get('/v1/metrics/prometheus').expect(200)).text;
        return /telemetry_geo_reloads_total\{database="city",outcome="failed"\} 1/.test(text);
      },
      { timeoutMs: 30_000, description: 'the failed reload counted' },
    );
    expect((await geoTest(product)).geo?.city).toBe('Menlo Park');
  });
});
