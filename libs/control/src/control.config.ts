import { parseCidr } from '@telemetry/enrichment';
import type { AuthConfig } from '@telemetry/auth';
import { FEATURE_FLAGS, type FeatureFlag, type FeatureFlags } from '@telemetry/contracts';
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
   * The feature flags' initial values, from this process's environment (ADMISSION_HTTP_ENABLED, …);
   * a flag set through PATCH /v1/admin/featureflags wins in every process from then on.
   */
  readonly featureFlagDefaults?: FeatureFlags;
  /** TRUSTED_PROXIES: the networks whose X-Forwarded-For admission believes (with HTTP_TRUST_XFF); none by default. */
  readonly trustedProxies?: readonly string[];
  /** INGEST_REPLICAS: the ingest processes sharing each source's max_eps (each bucket runs at max_eps / replicas); 1 by default. */
  readonly ingestReplicas?: number;
}

/** Every flag off except blocking a source over its max_eps, as the original; X-Forwarded-For is never trusted by default. */
export const DEFAULT_FEATURE_FLAGS: FeatureFlags = {
  ADMISSION_HTTP_ENABLED: false,
  ADMISSION_UDP_ENABLED: false,
  ADMISSION_LOG_ONLY: false,
  ADMISSION_FAIL_OPEN: false,
  ADMISSION_COMPAT_ALLOW_EMPTY_IPS: false,
  ADMISSION_BLOCK_ON_EXCEED_DEFAULT: true,
  HTTP_IP_ALLOWLIST_ENABLED: false,
  HTTP_TRUST_XFF: false,
};

/** The control plane's own settings from the environment: feed fetching and the feature flags' initial values. */
export function readControlSettings(
  reader: ConfigReader,
): Pick<ControlConfig, 'feedAllowPrivateAddresses' | 'featureFlagDefaults' | 'trustedProxies' | 'ingestReplicas'> {
  const flags = {} as Record<FeatureFlag, boolean>;
  for (const name of FEATURE_FLAGS) flags[name] = reader.boolean(name, DEFAULT_FEATURE_FLAGS[name]);
  const trustedProxies: string[] = [];
  for (const entry of reader.list('TRUSTED_PROXIES')) {
    const network = parseCidr(entry.includes('/') ? entry : `${entry}/${entry.includes(':') ? 128 : 32}`);
    if (!network) reader.problem(`TRUSTED_PROXIES must be addresses or CIDRs separated by commas, got "${entry}"`);
    else trustedProxies.push(network.text);
  }
  return {
    feedAllowPrivateAddresses: reader.boolean('FEED_ALLOW_PRIVATE_ADDRESSES', false),
    featureFlagDefaults: flags,
    trustedProxies,
    ingestReplicas: reader.integer('INGEST_REPLICAS', 1, { min: 1, max: 10_000 }),
  };
}
