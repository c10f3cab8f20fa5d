import type { AuthConfig } from '@telemetry/auth';

export const CONTROL_CONFIG = Symbol('CONTROL_CONFIG');

export interface ControlConfig extends AuthConfig {
  /** `retention_days` of a tenant created without one (RETENTION_DAYS). */
  readonly defaultRetentionDays: number;
  /** This process serves the admin API (query-api, all-in-one). */
  readonly adminApi: boolean;
}
