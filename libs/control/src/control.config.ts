import type { AuthConfig } from '@telemetry/auth';
import type { ConfigReader } from '@telemetry/platform';

export const CONTROL_CONFIG = Symbol('CONTROL_CONFIG');

export interface ControlConfig extends AuthConfig {
  /** `retention_days` of a tenant created without one (RETENTION_DAYS). */
  readonly defaultRetentionDays: number;
  /** This process serves the admin API (query-api, all-in-one). */
  readonly adminApi: boolean;
  /**
   * This process folds the threat-intel events (indicators, feeds): the processes that match or
   * serve them (enricher, query-api, all-in-one). Others skip them unread. Default: adminApi.
   */
  readonly foldIntel?: boolean;
  /** FEED_ALLOW_PRIVATE_ADDRESSES: tenants' feeds may be fetched from private addresses too (default false). */
  readonly feedAllowPrivateAddresses?: boolean;
  /**
   * The original's ADMISSION_COMPAT_ALLOW_EMPTY_IPS for the admission test of a source: a source
   * without allowed_ips admits every address (default false: it admits none). Not read from the
   * environment yet: the admission feature flags come with admission at ingest (#12).
   */
  readonly admissionCompatAllowEmptyIps?: boolean;
}

/** The control plane's own settings, read by the apps that serve the admin API. */
export function readFeedSettings(reader: ConfigReader): Pick<ControlConfig, 'feedAllowPrivateAddresses'> {
  return { feedAllowPrivateAddresses: reader.boolean('FEED_ALLOW_PRIVATE_ADDRESSES', false) };
}
