import { ConfigReader } from './config-reader';
import { readRuntimeConfig, RuntimeConfig } from './runtime.config';
import { HealthConfig, readHealthConfig } from '../health/health.config';

/** The roles a process plays; the all-in-one plays them all. */
export type Role = 'ingest' | 'enricher' | 'query' | 'sink-splunk' | 'sink-elastic';

/**
 * What every process reads, whatever its role: who it is, where it listens, the event log and SQL
 * store it uses, logs, traces, HTTP timeouts. Each feature lib reads its own fragment (auth,
 * ingest, enricher, sinks) from the same ConfigReader; each app composes the fragments of its role.
 */
export interface PlatformConfig {
  readonly appName: string;
  readonly roles: readonly Role[];
  readonly port: number;
  readonly host: string;
  readonly runtime: RuntimeConfig;
  readonly version: { readonly version: string; readonly gitSha: string };
  /** Nest log levels to print, from LOG_LEVEL (error, warn, log, debug, verbose). */
  readonly logLevels: Array<'error' | 'warn' | 'log' | 'debug' | 'verbose'>;
  readonly http: HttpTimeoutsConfig;
  /** OTLP/HTTP URL traces are exported to; unset keeps tracing off (the API is then a no-op). */
  readonly otlpTracesUrl?: string;
  /** How GET /health/ready judges the process (READINESS_*). */
  readonly health: HealthConfig;
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

export function readPlatformConfig(reader: ConfigReader, appName: string, roles: readonly Role[]): PlatformConfig {
  const logLevel = reader.string('LOG_LEVEL', 'log').toLowerCase();
  const levelIndex = LOG_LEVELS.indexOf(logLevel as (typeof LOG_LEVELS)[number]);
  if (levelIndex === -1) reader.problem(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"`);
  return {
    appName,
    roles,
    port: reader.integer('PORT', 8080, { min: 0, max: 65535 }),
    // Loopback unless told otherwise: the image sets HOST=0.0.0.0; a laptop's `npm start` is not exposed.
    host: reader.string('HOST', '127.0.0.1'),
    runtime: readRuntimeConfig(reader, appName),
    version: {
      version: reader.string('TELEMETRY_VERSION', process.env.npm_package_version ?? '0.1.0'),
      gitSha: reader.string('GIT_SHA', 'unknown'),
    },
    logLevels: LOG_LEVELS.slice(0, levelIndex === -1 ? 3 : levelIndex + 1),
    otlpTracesUrl: otlpTracesUrl(reader),
    http: readHttpTimeouts(reader),
    health: readHealthConfig(reader),
  };
}

/** The standard OTLP variables: the traces endpoint as given, or the base endpoint + /v1/traces. */
function otlpTracesUrl(reader: ConfigReader): string | undefined {
  const traces = reader.url('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', ['http', 'https']);
  if (traces) return traces;
  const base = reader.url('OTEL_EXPORTER_OTLP_ENDPOINT', ['http', 'https']);
  return base ? `${base.replace(/\/+$/, '')}/v1/traces` : undefined;
}
