import { canonicalIp, parseCidr } from '@telemetry/enrichment';
import type { Source } from './source.decider';

export type AdmissionReason = 'allowed' | 'disabled' | 'ip_not_allowed';

export interface AdmissionOptions {
  /** ADMISSION_COMPAT_ALLOW_EMPTY_IPS of the original: a source without allowed_ips admits every address (default: it admits none). */
  readonly compatAllowEmptyIps: boolean;
}

/**
 * The original's `validate_source_admission`: a disabled source admits nothing; otherwise the
 * client address must fall in one of its allowed networks, and an empty list admits nothing
 * unless `compatAllowEmptyIps`. The rate limit (`max_eps`) is not part of this check: it needs
 * the ingest path's token bucket. `clientIp` is a valid address (the caller parsed it).
 */
export function admissionOf(source: Pick<Source, 'status' | 'allowedIps'>, clientIp: string, options: AdmissionOptions): AdmissionReason {
  if (source.status !== 'enabled') return 'disabled';
  if (source.allowedIps.length === 0) return options.compatAllowEmptyIps ? 'allowed' : 'ip_not_allowed';
  return source.allowedIps.some((cidr) => cidrContains(cidr, clientIp)) ? 'allowed' : 'ip_not_allowed';
}

/** Whether the canonical network `cidr` holds `ip` (of the same family; an IPv4-mapped IPv6 address counts as IPv4). */
export function cidrContains(cidr: string, ip: string): boolean {
  const network = parseCidr(cidr);
  const address = canonicalIp(ip.trim());
  if (!network || address === null || (network.family === 4) !== !address.includes(':')) return false;
  return parseCidr(`${address}/${network.prefixLength}`)?.text === network.text;
}
