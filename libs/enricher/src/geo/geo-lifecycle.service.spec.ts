import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Registry } from 'prom-client';
import { buildAsnDb, buildCityDb, defaultAsnFixture, defaultCityFixture, waitFor } from '@telemetry/testing';
import type { GeoConfig } from './geo.config';
import { GeoLifecycle } from './geo-lifecycle.service';
import { GeoMetrics } from './geo.metrics';

const BUILT_2026_01 = Date.UTC(2026, 0, 15) / 1000;
const BUILT_2026_06 = Date.UTC(2026, 5, 1) / 1000;

/** A city database where 8.8.8.8 is in `city` (so a reload shows in the answers), built at `buildEpoch`. */
const cityDb = (city: string, buildEpoch: number) =>
  buildCityDb([{ cidr: '8.8.8.0/24', country: 'US', city, latitude: 37.4, longitude: -122.1 }, ...defaultCityFixture.slice(1)], { buildEpoch });
const asnDb = (organization: string, buildEpoch: number) =>
  buildAsnDb([{ cidr: '8.8.8.0/24', asn: 15169, organization }, ...defaultAsnFixture.slice(1)], { buildEpoch });

/** Replaces a file the way a careful writer does: a temporary file in the same directory, renamed over it. */
function replaceByRename(file: string, data: Buffer): void {
  const temporary = path.join(path.dirname(file), `.incoming-${process.hrtime.bigint()}`);
  fs.writeFileSync(temporary, data);
  fs.renameSync(temporary, file);
}

async function metric(registry: Registry, name: string, labels: Record<string, string>): Promise<number | undefined> {
  const values = (await registry.getSingleMetric(name)?.get())?.values ?? [];
  return values.find((value) => Object.entries(labels).every(([key, wanted]) => value.labels[key] === wanted))?.value;
}

describe('GeoLifecycle', () => {
  let dir: string;
  let registry: Registry;
  let lifecycle: GeoLifecycle | undefined;
  let cityPath: string;
  let asnPath: string;

  const start = async (overrides: Partial<GeoConfig> = {}) => {
    const config: GeoConfig = {
      cityPath,
      asnPath,
      dataDir: path.join(dir, 'data'),
      watch: true,
      pollIntervalMs: 0,
      maxBytes: 64 * 1024 * 1024,
      download: { baseUrl: 'http://127.0.0.1:9', editions: [] },
      ...overrides,
    };
    lifecycle = new GeoLifecycle(config, new GeoMetrics(registry));
    await lifecycle.start();
    return lifecycle;
  };

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'geo-lifecycle-'));
    registry = new Registry();
    cityPath = path.join(dir, 'GeoLite2-City.mmdb');
    asnPath = path.join(dir, 'GeoLite2-ASN.mmdb');
    fs.writeFileSync(cityPath, cityDb('Mountain View', BUILT_2026_01));
    fs.writeFileSync(asnPath, asnDb('GOOGLE', BUILT_2026_01));
  });

  afterEach(() => {
    lifecycle?.stop();
    lifecycle = undefined;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('serves the configured files and reports their type, path, build date and status', async () => {
    const geo = await start();
    expect(geo.lookup.city('8.8.8.8')?.city).toBe('Mountain View');
    expect(geo.lookup.asn('8.8.8.8')).toEqual({ number: 15169, organization: 'GOOGLE' });
    expect(geo.status().city).toMatchObject({
      kind: 'city',
      status: 'loaded',
      source: 'configured',
      path: cityPath,
      files: [cityPath],
      databaseType: 'GeoLite2-City',
      buildDate: '2026-01-15T00:00:00.000Z',
      lastError: null,
    });
    expect(geo.status().asn).toMatchObject({ status: 'loaded', databaseType: 'GeoLite2-ASN', buildDate: '2026-01-15T00:00:00.000Z' });
    expect(await metric(registry, 'telemetry_geo_database_build_timestamp_seconds', { database: 'city' })).toBe(BUILT_2026_01);
    expect(await metric(registry, 'telemetry_geo_reloads_total', { database: 'asn', outcome: 'loaded' })).toBe(1);
  });

  it('reloads a file replaced by rename, through the same lookup object, with the new build date', async () => {
    const geo = await start();
    const lookup = geo.lookup;
    replaceByRename(cityPath, cityDb('Palo Alto', BUILT_2026_06));
    await waitFor(() => lookup.city('8.8.8.8')?.city === 'Palo Alto', { timeoutMs: 10_000, description: 'the renamed file served' });
    expect(geo.lookup).toBe(lookup);
    expect(geo.status().city).toMatchObject({ status: 'loaded', buildDate: '2026-06-01T00:00:00.000Z' });
    expect(await metric(registry, 'telemetry_geo_database_build_timestamp_seconds', { database: 'city' })).toBe(BUILT_2026_06);
    expect(await metric(registry, 'telemetry_geo_reloads_total', { database: 'city', outcome: 'loaded' })).toBe(2);
    // The other database is untouched by the swap.
    expect(lookup.asn('8.8.8.8')?.organization).toBe('GOOGLE');
  });

  it('reloads a file rewritten in place', async () => {
    const geo = await start();
    fs.writeFileSync(asnPath, asnDb('GOOGLE LLC', BUILT_2026_06));
    await waitFor(() => geo.lookup.asn('8.8.8.8')?.organization === 'GOOGLE LLC', { timeoutMs: 10_000, description: 'the rewritten file served' });
    expect(geo.status().asn.buildDate).toBe('2026-06-01T00:00:00.000Z');
  });

  it('keeps the last good database when a new file is not one, and reports it in status and metrics', async () => {
    const geo = await start();
    replaceByRename(cityPath, Buffer.from('this is not a MaxMind DB'));
    await waitFor(() => geo.status().city.status === 'stale', { timeoutMs: 10_000, description: 'the bad file reported' });
    expect(geo.lookup.city('8.8.8.8')?.city).toBe('Mountain View');
    expect(geo.status().city).toMatchObject({
      status: 'stale',
      buildDate: '2026-01-15T00:00:00.000Z',
      lastError: { message: expect.stringMatching(/not a readable MaxMind DB/) },
    });
    expect(await metric(registry, 'telemetry_geo_reloads_total', { database: 'city', outcome: 'failed' })).toBe(1);
    expect(await metric(registry, 'telemetry_geo_database_build_timestamp_seconds', { database: 'city' })).toBe(BUILT_2026_01);

    // A good file afterwards is served, and the error is cleared.
    replaceByRename(cityPath, cityDb('Palo Alto', BUILT_2026_06));
    await waitFor(() => geo.status().city.status === 'loaded', { timeoutMs: 10_000, description: 'the good file served' });
    expect(geo.lookup.city('8.8.8.8')?.city).toBe('Palo Alto');
    expect(geo.status().city.lastError).toBeNull();
  });

  it('refuses a valid database of the other kind at a path, keeping the last good one', async () => {
    const geo = await start();
    replaceByRename(asnPath, cityDb('Palo Alto', BUILT_2026_06));
    const status = await geo.refresh('asn');
    expect(status).toMatchObject({ status: 'stale', databaseType: 'GeoLite2-ASN', lastError: { message: expect.stringMatching(/not an ASN database/) } });
    expect(geo.lookup.asn('8.8.8.8')?.organization).toBe('GOOGLE');
  });

  it('notices changes by its periodic stat alone when watching is off', async () => {
    const geo = await start({ watch: false, pollIntervalMs: 25 });
    replaceByRename(cityPath, cityDb('Palo Alto', BUILT_2026_06));
    await waitFor(() => geo.lookup.city('8.8.8.8')?.city === 'Palo Alto', { timeoutMs: 10_000, description: 'the polled change served' });
  });

  it('starts with a configured file that does not exist yet as missing, and serves it once it appears', async () => {
    fs.rmSync(cityPath);
    const geo = await start();
    expect(geo.status().city).toMatchObject({ status: 'missing', source: null, files: [] });
    expect(geo.lookup.city('8.8.8.8')).toBeNull();
    expect(geo.lookup.asn('8.8.8.8')?.organization).toBe('GOOGLE');
    replaceByRename(cityPath, cityDb('Palo Alto', BUILT_2026_06));
    await waitFor(() => geo.status().city.status === 'loaded', { timeoutMs: 10_000, description: 'the new file served' });
    expect(geo.lookup.city('8.8.8.8')?.city).toBe('Palo Alto');
  });

  it('refuses to start on a configured file that exists but is not a MaxMind DB', async () => {
    fs.writeFileSync(cityPath, 'garbage');
    await expect(start()).rejects.toThrow(/not a readable MaxMind DB/);
  });

  it('reads a kind with no configured path from DATA_DIR/geoip/ when a file is there', async () => {
    const managed = path.join(dir, 'data', 'geoip', 'city.mmdb');
    fs.mkdirSync(path.dirname(managed), { recursive: true });
    fs.writeFileSync(managed, cityDb('Sunnyvale', BUILT_2026_06));
    const geo = await start({ cityPath: undefined });
    expect(geo.targetPath('city')).toBe(managed);
    expect(geo.status().city).toMatchObject({ status: 'loaded', source: 'data_dir', path: managed });
    expect(geo.lookup.city('8.8.8.8')?.city).toBe('Sunnyvale');
  });
});
