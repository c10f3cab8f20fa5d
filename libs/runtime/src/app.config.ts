import { DEFAULT_TENANT } from '@telemetry/contracts';
import { ConfigReader, readRuntimeConfig, RuntimeConfig } from '@telemetry/config';

/** The roles a process plays; the all-in-one plays them all. */
export type Role = 'ingest' | 'enricher' | 'query' | 'sink-splunk' | 'sink-elastic';

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
  readonly http: HttpTimeoutsConfig;
  readonly sinks: SinksConfig;
  /** OTLP/HTTP URL traces are exported to; unset keeps tracing off (the API is then a no-op). */
  readonly otlpTracesUrl?: string;
}

const LOG_LEVELS = ['error', 'warn', 'log', 'debug', 'verbose'] as const;

/** How long the HTTP server waits on a client; a client slower than these gets 408 `request_timeout`. */
export interface HttpTimeoutsConfig {
  /** From the connection (or the previous request) to the end of the request headers. */
  readonly headersTimeoutMs: number;
  /** From the start of a request to its last body byte. */
  readonly requestTimeoutMs: number;
  /** The longest pause between two body chunks an ingest request may make. */
  readonly bodyIdleTimeoutMs: number;
  /** How long an idle keep-alive connection stays open after an answer. */
  readonly keepAliveTimeoutMs: number;
}

function readHttpTimeouts(reader: ConfigReader): HttpTimeoutsConfig {
  const timeouts: HttpTimeoutsConfig = {
    headersTimeoutMs: reader.integer('HTTP_HEADERS_TIMEOUT_MS', 15_000, { min: 100, max: 300_000 }),
    requestTimeoutMs: reader.integer('HTTP_REQUEST_TIMEOUT_MS', 60_000, { min: 100, max: 3_600_000 }),
    bodyIdleTimeoutMs: reader.integer('HTTP_BODY_IDLE_TIMEOUT_MS', 10_000, { min: 100, max: 600_000 }),
    keepAliveTimeoutMs: reader.integer('HTTP_KEEPALIVE_TIMEOUT_MS', 5_000, { min: 100, max: 600_000 }),
  };
  // Node's HTTP server refuses a headers timeout longer than the whole-request timeout.
  if (timeouts.headersTimeoutMs > timeouts.requestTimeoutMs) {
    reader.problem(`HTTP_HEADERS_TIMEOUT_MS (${timeouts.headersTimeoutMs}) must not exceed HTTP_REQUEST_TIMEOUT_MS (${timeouts.requestTimeoutMs})`);
  }
  return timeouts;
}

export interface SplunkSinkConfig {
  readonly url: string;
  readonly token: string;
  readonly index?: string;
  readonly source?: string;
  readonly sourcetype?: string;
  readonly ackEnabled: boolean;
  readonly ackTimeoutMs: number;
  readonly gzip: boolean;
}

export interface ElasticSinkConfig {
  readonly url: string;
  readonly username?: string;
  readonly password?: string;
  readonly apiKey?: string;
  readonly indexPattern: string;
  readonly dataStream?: string;
  readonly gzip: boolean;
  readonly manageTemplate: boolean;
}

export interface SinksConfig {
  readonly retryDelaysMs: number[];
  readonly batchMaxRecords: number;
  readonly batchMaxBytes: number;
  readonly batchMaxWaitMs: number;
  /** Set when SPLUNK_HEC_URL is: the all-in-one then runs the Splunk sink too. */
  readonly splunk?: SplunkSinkConfig;
  /** Set when ELASTIC_URL is. */
  readonly elastic?: ElasticSinkConfig;
}

/** The original product's variables (SPLUNK_HEC_URL, SPLUNK_HEC_TOKEN, ELASTIC_URL, …), checked together. */
function readSinksConfig(reader: ConfigReader, roles: readonly Role[]): SinksConfig {
  const delays = reader.list('SINK_RETRY_DELAYS_MS').map(Number);
  if (delays.some((delay) => !Number.isInteger(delay) || delay < 0)) reader.problem('SINK_RETRY_DELAYS_MS must be comma-separated whole milliseconds, e.g. 10000,60000,600000');
  const splunkUrl = reader.url('SPLUNK_HEC_URL', ['http', 'https']);
  const splunkToken = reader.string('SPLUNK_HEC_TOKEN');
  if (splunkUrl && !splunkToken) reader.problem('SPLUNK_HEC_TOKEN is required when SPLUNK_HEC_URL is set');
  if (roles.includes('sink-splunk') && !splunkUrl) reader.problem('SPLUNK_HEC_URL is required by the sink-splunk app');
  const elasticUrl = reader.string('ELASTIC_URL');
  for (const url of elasticUrl ? elasticUrl.split(',') : []) {
    if (!/^https?:\/\/[^\s]+$/.test(url.trim())) reader.problem(`ELASTIC_URL must be http(s) URLs separated by commas, got "${url}"`);
  }
  const username = reader.string('ELASTIC_USERNAME');
  const password = reader.string('ELASTIC_PASSWORD');
  if ((username && !password) || (!username && password)) reader.problem('ELASTIC_USERNAME and ELASTIC_PASSWORD go together');
  if (roles.includes('sink-elastic') && !elasticUrl) reader.problem('ELASTIC_URL is required by the sink-elastic app');
  return {
    retryDelaysMs: delays.length > 0 ? delays : [10_000, 60_000, 600_000],
    batchMaxRecords: reader.integer('SINK_BATCH_MAX_RECORDS', 500, { min: 1, max: 50_000 }),
    batchMaxBytes: reader.integer('SINK_BATCH_MAX_BYTES', 5 * 1024 * 1024, { min: 1024, max: 100 * 1024 * 1024 }),
    batchMaxWaitMs: reader.integer('SINK_BATCH_MAX_WAIT_MS', 500, { min: 0, max: 60_000 }),
    splunk:
      splunkUrl && splunkToken
        ? {
            url: splunkUrl,
            token: splunkToken,
            index: reader.string('SPLUNK_HEC_INDEX'),
            source: reader.string('SPLUNK_HEC_SOURCE'),
            sourcetype: reader.string('SPLUNK_HEC_SOURCETYPE', 'telemetry:flow'),
            ackEnabled: reader.boolean('SPLUNK_HEC_ACK', false),
            ackTimeoutMs: reader.integer('SPLUNK_HEC_ACK_TIMEOUT_MS', 30_000, { min: 100, max: 600_000 }),
            gzip: reader.boolean('SPLUNK_HEC_GZIP', true),
          }
        : undefined,
    elastic: elasticUrl
      ? {
          url: elasticUrl,
          username,
          password,
          apiKey: reader.string('ELASTIC_API_KEY'),
          indexPattern: reader.string('ELASTIC_INDEX_PATTERN', 'telemetry-enriched-{yyyy.MM.dd}'),
          dataStream: reader.string('ELASTIC_DATA_STREAM'),
          gzip: reader.boolean('ELASTIC_GZIP', true),
          manageTemplate: reader.boolean('ELASTIC_MANAGE_TEMPLATE', true),
        }
      : undefined,
  };
}

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
    sinks: readSinksConfig(reader, roles),
    http: readHttpTimeouts(reader),
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
