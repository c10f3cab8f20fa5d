import * as fs from 'node:fs';
import * as path from 'node:path';
import { installDeployTools, ROOT, tempFile, validate } from './deploy-tools';

/*
 * docker-compose.yml through compose-go's loader (what `docker compose config` runs), since no
 * Docker engine runs here: it loads with every profile, and every app's healthcheck is readiness.
 */

interface ComposeProject {
  services: Record<string, { healthcheck?: { test: string[] }; command?: string[] | null; environment?: Record<string, string> }>;
}

const APPS = ['ingest-api', 'enricher', 'query-api', 'sink-splunk', 'sink-elastic', 'all-in-one'];
/** What `API_KEY=$(openssl rand -hex 24) docker compose up` gives the loader. */
const WITH_KEY = { API_KEY: 'compose-test-key-0123456789abcdef' };

describe('docker-compose.yml', () => {
  beforeAll(() => {
    installDeployTools();
  }, 30 * 60_000);

  it('loads with compose-go, every profile on, and each app checks /health/ready', () => {
    const loaded = validate('compose', path.join(ROOT, 'docker-compose.yml'), WITH_KEY);
    if (!loaded.ok) throw new Error(loaded.error);
    const project = loaded.value as ComposeProject;
    expect(Object.keys(project.services).sort()).toEqual([...APPS, 'kafka', 'postgres', 'prometheus', 'grafana'].sort());
    for (const app of APPS) {
      expect({ app, test: project.services[app].healthcheck?.test.join(' ') }).toEqual({
        app,
        test: expect.stringContaining("fetch('http://127.0.0.1:8080/health/ready')"),
      });
    }
    expect(project.services.enricher.environment).toMatchObject({ KAFKA_BROKERS: 'kafka:19092', READINESS_RETRY_GRACE_MS: '30000' });
    // The embedded profile generates its key when none is given; the distributed apps get the operator's.
    expect(project.services['all-in-one'].environment?.API_KEY ?? '').toBe(WITH_KEY.API_KEY);
  });

  it('refuses to start the distributed apps without API_KEY: no well-known key is ever the default', () => {
    const refused = validate('compose', path.join(ROOT, 'docker-compose.yml'));
    expect(refused.ok ? '' : refused.error).toMatch(/required variable API_KEY is missing a value: set API_KEY to a secret of at least 16 characters/);
  });

  it('the loader refuses what docker compose would: an unknown key, a bad healthcheck', () => {
    const original = fs.readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8');
    const unknownKey = original.replace('  enricher:\n', '  enricher:\n    restart_policy: always\n');
    expect(unknownKey).not.toBe(original);
    const refused = validate('compose', tempFile('docker-compose.yml', unknownKey), WITH_KEY);
    expect(refused.ok ? '' : refused.error).toMatch(/restart_policy/);
    const badInterval = original.replace('    interval: 10s\n', '    interval: ten seconds\n');
    const refusedInterval = validate('compose', tempFile('docker-compose.yml', badInterval), WITH_KEY);
    expect(refusedInterval.ok ? '' : refusedInterval.error).toMatch(/interval|duration/i);
  });
});
