import { ConfigReader } from '../config/config-reader';

/** How readiness judges this process (GET /health/ready). */
export interface HealthConfig {
  /**
   * How long a consumer may stay `retrying` (its handler or fetch failing, redelivering after a
   * backoff) and still count as ready: a blip passes, a handler that keeps failing makes the process
   * unready (READINESS_RETRY_GRACE_MS).
   */
  readonly retryGraceMs: number;
  /** The longest a check (the event log's admin call, the database's `SELECT 1`) may take before it counts as down (READINESS_CHECK_TIMEOUT_MS). */
  readonly checkTimeoutMs: number;
  /** How long a check's answer is reused, so frequent probes do not hammer the broker or the database (READINESS_CACHE_MS). */
  readonly cacheMs: number;
}

export function readHealthConfig(reader: ConfigReader): HealthConfig {
  return {
    retryGraceMs: reader.integer('READINESS_RETRY_GRACE_MS', 30_000, { min: 0, max: 3_600_000 }),
    checkTimeoutMs: reader.integer('READINESS_CHECK_TIMEOUT_MS', 2_000, { min: 50, max: 60_000 }),
    cacheMs: reader.integer('READINESS_CACHE_MS', 1_500, { min: 0, max: 60_000 }),
  };
}
