import { DEFAULT_TENANT, tenantIdProblem } from '@telemetry/contracts';
import { ConfigReader, PlatformConfig, secretOrFile } from '@telemetry/platform';

/** Configured keys shorter than this are refused at start: they would be guessable. */
export const MIN_CONFIGURED_KEY_LENGTH = 16;

export interface AuthConfig {
  /** The operator's keys (API_KEY, TELEMETRY_SEED_KEYS): seeded once as admin keys of the default tenant. */
  readonly seedKeys: readonly string[];
  /**
   * When no key is configured: the embedded all-in-one generates an admin key at its first start
   * (printed once, written to `generatedKeyFile`); every other process refuses to start.
   */
  readonly generatedKeyFile?: string;
  readonly defaultTenant: string;
  /** Requests per minute per API key (per process); 0 turns the limit off. */
  readonly rateLimitPerMin: number;
  /** Failed authentications per minute per client address (per process) before 429; 0 turns it off. */
  readonly authFailuresPerMin: number;
  /** How long a rotated-out secret stays valid, in seconds (POST …/rotate may ask for less or more). */
  readonly keyRotationGraceS: number;
}

export interface AuthConfigOptions {
  /** Only the embedded all-in-one may generate a key when none is configured. */
  readonly mayGenerateKey: boolean;
}

/** No well-known key is ever accepted: keys are configured, issued through the admin API, or generated once (embedded only). */
export function readAuthConfig(reader: ConfigReader, platform: PlatformConfig, options: AuthConfigOptions): AuthConfig {
  const apiKey = secretOrFile(reader, 'API_KEY', { trim: true });
  const keys = [...(apiKey ? [apiKey] : []), ...reader.list('TELEMETRY_SEED_KEYS')];
  const defaultTenant = reader.string('DEFAULT_TENANT', DEFAULT_TENANT);
  const tenantProblem = tenantIdProblem(defaultTenant);
  if (tenantProblem) reader.problem(`DEFAULT_TENANT ${tenantProblem}, got ${JSON.stringify(defaultTenant)}`);
  let generatedKeyFile: string | undefined;
  if (keys.length === 0) {
    if (options.mayGenerateKey && platform.runtime.eventLog.kind === 'embedded') {
      generatedKeyFile = `${platform.runtime.dataDir}/admin-api-key`;
    } else {
      reader.problem('API_KEY (or API_KEY_FILE) or TELEMETRY_SEED_KEYS is required: this process has no other source of admin keys');
    }
  }
  for (const key of keys) {
    if (key.length < MIN_CONFIGURED_KEY_LENGTH) {
      reader.problem(`API keys must be at least ${MIN_CONFIGURED_KEY_LENGTH} characters (one in API_KEY/TELEMETRY_SEED_KEYS is ${key.length})`);
    }
  }
  return {
    seedKeys: keys,
    ...(generatedKeyFile ? { generatedKeyFile } : {}),
    defaultTenant,
    rateLimitPerMin: reader.integer('RATE_LIMIT_PER_MIN', 600, { min: 0, max: 10_000_000 }),
    authFailuresPerMin: reader.integer('AUTH_FAILURES_PER_MIN', 30, { min: 0, max: 1_000_000 }),
    keyRotationGraceS: reader.integer('KEY_ROTATION_GRACE_S', 24 * 3600, { min: 0, max: 30 * 24 * 3600 }),
  };
}
