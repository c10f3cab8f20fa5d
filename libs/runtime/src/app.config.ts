import { DEFAULT_TENANT } from '@telemetry/contracts';
import { ConfigReader, readRuntimeConfig, RuntimeConfig } from '@telemetry/config';

/** The roles a process plays; the all-in-one plays them all. */
export type Role = 'ingest' | 'enricher' | 'query';

export interface AppConfig {
  readonly appName: string;
  readonly roles: readonly Role[];
  readonly port: number;
  readonly host: string;
  readonly runtime: RuntimeConfig;
  readonly apiKeys: readonly string[];
  /** True when no key was configured and the embedded default key is in use. */
  readonly usingDefaultKey: boolean;
  readonly defaultTenant: string;
  readonly enrichment: {
    readonly geoipCity?: string;
    readonly geoipAsn?: string;
    readonly threatlistCsv?: string;
  };
  readonly version: { readonly version: string; readonly gitSha: string };
  /** Nest log levels to print, from LOG_LEVEL (error, warn, log, debug, verbose). */
  readonly logLevels: Array<'error' | 'warn' | 'log' | 'debug' | 'verbose'>;
  readonly ingest: {
    /** Requests per minute per API key (per process); 0 turns the limit off. */
    readonly rateLimitPerMin: number;
    readonly idempotencyTtlSeconds: number;
    /** Records being published at once; beyond it ingest answers 503 instead of queueing more. */
    readonly maxInflightRecords: number;
  };
  /** OTLP/HTTP URL traces are exported to; unset keeps tracing off (the API is then a no-op). */
  readonly otlpTracesUrl?: string;
}

const LOG_LEVELS = ['error', 'warn', 'log', 'debug', 'verbose'] as const;

/** The key `npm start` uses when none is configured (the original's documented TEST_KEY), embedded mode only. */
export const EMBEDDED_DEFAULT_KEY = 'TEST_KEY';

export function readAppConfig(reader: ConfigReader, appName: string, roles: readonly Role[]): AppConfig {
  const runtime = readRuntimeConfig(reader, appName);
  const apiKey = reader.string('API_KEY');
  const seeds = reader.list('TELEMETRY_SEED_KEYS');
  const keys = [...(apiKey ? [apiKey] : []), ...seeds];
  let usingDefaultKey = false;
  if (keys.length === 0) {
    if (runtime.eventLog.kind === 'kafka') {
      reader.problem('API_KEY or TELEMETRY_SEED_KEYS is required in the distributed mode (KAFKA_BROKERS is set)');
    } else {
      keys.push(EMBEDDED_DEFAULT_KEY);
      usingDefaultKey = true;
    }
  }
  for (const key of keys) {
    if (key.length < 6) reader.problem(`API keys must be at least 6 characters (one in API_KEY/TELEMETRY_SEED_KEYS is ${key.length})`);
  }
  const logLevel = reader.string('LOG_LEVEL', 'log').toLowerCase();
  const levelIndex = LOG_LEVELS.indexOf(logLevel as (typeof LOG_LEVELS)[number]);
  if (levelIndex === -1) reader.problem(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"`);
  const config: AppConfig = {
    appName,
    roles,
    port: reader.integer('PORT', 8080, { min: 0, max: 65535 }),
    host: reader.string('HOST', '0.0.0.0'),
    runtime,
    apiKeys: keys,
    usingDefaultKey,
    defaultTenant: reader.string('DEFAULT_TENANT', DEFAULT_TENANT),
    enrichment: {
      geoipCity: reader.string('GEOIP_DB_CITY'),
      geoipAsn: reader.string('GEOIP_DB_ASN'),
      threatlistCsv: reader.string('THREATLIST_CSV'),
    },
    version: {
      version: reader.string('TELEMETRY_VERSION', process.env.npm_package_version ?? '0.1.0'),
      gitSha: reader.string('GIT_SHA', 'unknown'),
    },
    logLevels: LOG_LEVELS.slice(0, levelIndex === -1 ? 3 : levelIndex + 1),
    otlpTracesUrl: otlpTracesUrl(reader),
    ingest: {
      rateLimitPerMin: reader.integer('RATE_LIMIT_PER_MIN', 600, { min: 0, max: 10_000_000 }),
      idempotencyTtlSeconds: reader.integer('IDEMPOTENCY_TTL_SECONDS', 86_400, { min: 60, max: 30 * 86_400 }),
      maxInflightRecords: reader.integer('INGEST_MAX_INFLIGHT_RECORDS', 200_000, { min: 10_000, max: 10_000_000 }),
    },
  };
  reader.done();
  return config;
}

/** The standard OTLP variables: the traces endpoint as given, or the base endpoint + /v1/traces. */
function otlpTracesUrl(reader: ConfigReader): string | undefined {
  const traces = reader.url('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', ['http', 'https']);
  if (traces) return traces;
  const base = reader.url('OTEL_EXPORTER_OTLP_ENDPOINT', ['http', 'https']);
  return base ? `${base.replace(/\/+$/, '')}/v1/traces` : undefined;
}
