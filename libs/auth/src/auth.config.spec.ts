import { ConfigError, ConfigReader, readPlatformConfig } from '@telemetry/platform';
import { readAuthConfig } from './auth.config';

/** What an app's config loader does: its platform config, then the auth fragment, then every problem at once. */
function load(env: Record<string, string>, mayGenerateKey: boolean) {
  const reader = new ConfigReader({ DATA_DIR: '/tmp/telemetry-auth-config', ...env });
  const platform = readPlatformConfig(reader, 'query-api', ['query']);
  const auth = readAuthConfig(reader, platform, { mayGenerateKey });
  reader.done();
  return auth;
}

describe('where API keys come from', () => {
  it('a distributed app with no key source refuses to start, whatever else is set (a database, no Kafka)', () => {
    const environments: Record<string, string>[] = [
      { DATABASE_URL: 'postgres://telemetry:telemetry@127.0.0.1:55432/telemetry' },
      { KAFKA_BROKERS: '127.0.0.1:39092' },
      {},
    ];
    for (const env of environments) {
      expect(() => load(env, false)).toThrow(ConfigError);
      expect(() => load(env, false)).toThrow(/API_KEY \(or API_KEY_FILE\) or TELEMETRY_SEED_KEYS is required/);
    }
  });

  it('only the embedded all-in-one generates a key when none is configured; on Kafka it refuses too', () => {
    expect(load({}, true)).toMatchObject({ seedKeys: [], generatedKeyFile: '/tmp/telemetry-auth-config/admin-api-key' });
    expect(() => load({ KAFKA_BROKERS: '127.0.0.1:39092' }, true)).toThrow(/API_KEY \(or API_KEY_FILE\) or TELEMETRY_SEED_KEYS is required/);
  });

  it('accepts configured keys of at least 16 characters, and never the original TEST_KEY by default', () => {
    expect(load({ API_KEY: 'a-long-enough-key-1', TELEMETRY_SEED_KEYS: 'second-long-key-0002, third-long-key-00003' }, false).seedKeys).toEqual([
      'a-long-enough-key-1',
      'second-long-key-0002',
      'third-long-key-00003',
    ]);
    expect(() => load({ API_KEY: 'TEST_KEY' }, true)).toThrow(/at least 16 characters \(one in API_KEY\/TELEMETRY_SEED_KEYS is 8\)/);
    expect(load({}, true).seedKeys).not.toContain('TEST_KEY');
  });

  it('refuses a default tenant that is not a lowercase slug', () => {
    expect(() => load({ API_KEY: 'a-long-enough-key-1', DEFAULT_TENANT: 'Tenant_A' }, false)).toThrow(/DEFAULT_TENANT must be a lowercase slug/);
  });
});
