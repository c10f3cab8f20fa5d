import { DEFAULT_TENANT } from '@telemetry/contracts';
import { ConfigReader, PlatformConfig } from '@telemetry/platform';

/** The key `npm start` uses when none is configured (the original's documented TEST_KEY), embedded mode only. */
export const EMBEDDED_DEFAULT_KEY = 'TEST_KEY';

export interface AuthConfig {
  /** The operator's keys (API_KEY, TELEMETRY_SEED_KEYS), every scope on the default tenant. */
  readonly apiKeys: readonly string[];
  /** True when no key was configured and the embedded default key is in use. */
  readonly usingDefaultKey: boolean;
  readonly defaultTenant: string;
  /** Requests per minute per API key (per process); 0 turns the limit off. */
  readonly rateLimitPerMin: number;
}

/** No well-known key is accepted unless configured: TEST_KEY only in the embedded mode, with a warning at start. */
export function readAuthConfig(reader: ConfigReader, platform: PlatformConfig): AuthConfig {
  const apiKey = reader.string('API_KEY');
  const keys = [...(apiKey ? [apiKey] : []), ...reader.list('TELEMETRY_SEED_KEYS')];
  let usingDefaultKey = false;
  if (keys.length === 0) {
    if (platform.runtime.eventLog.kind === 'kafka') {
      reader.problem('API_KEY or TELEMETRY_SEED_KEYS is required in the distributed mode (KAFKA_BROKERS is set)');
    } else {
      keys.push(EMBEDDED_DEFAULT_KEY);
      usingDefaultKey = true;
    }
  }
  for (const key of keys) {
    if (key.length < 6) reader.problem(`API keys must be at least 6 characters (one in API_KEY/TELEMETRY_SEED_KEYS is ${key.length})`);
  }
  return {
    apiKeys: keys,
    usingDefaultKey,
    defaultTenant: reader.string('DEFAULT_TENANT', DEFAULT_TENANT),
    rateLimitPerMin: reader.integer('RATE_LIMIT_PER_MIN', 600, { min: 0, max: 10_000_000 }),
  };
}
