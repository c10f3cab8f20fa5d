import type { AdmissionReason, AdmissionRequest, AdmissionVerdict, FeatureFlags } from '@telemetry/contracts';
import { canonicalIp } from '@telemetry/enrichment';
import type { BucketDecision } from '@telemetry/platform';
import { admissionOf, cidrContains } from './source-admission';
import type { Source } from './source.decider';

/**
 * The client address admission judges: the socket's peer, or, when HTTP_TRUST_XFF is on and the peer
 * is one of TRUSTED_PROXIES, the first X-Forwarded-For hop from the right that is not a trusted
 * proxy (the hops a client wrote itself, on the left, are never believed over a proxy's).
 */
export function clientAddressOf(
  peerAddress: string | undefined,
  forwardedFor: string | undefined,
  trustedProxies: readonly string[],
  trustXff: boolean,
): string | undefined {
  const peer = peerAddress === undefined ? null : canonicalIp(peerAddress);
  if (peer === null) return undefined;
  const trusted = (ip: string) => trustedProxies.some((cidr) => cidrContains(cidr, ip));
  if (!trustXff || !forwardedFor || !trusted(peer)) return peer;
  let client = peer;
  const hops = forwardedFor.split(',').map((hop) => hop.trim());
  for (let index = hops.length - 1; index >= 0; index--) {
    const hop = canonicalIp(hops[index]);
    if (hop === null) break; // an unreadable hop: the last proxy that handed it on is the client we know
    client = hop;
    if (!trusted(hop)) break;
  }
  return client;
}

export interface AdmissionInput {
  readonly request: AdmissionRequest;
  /** The request's source, resolved in its tenant. */
  readonly source: Source | undefined;
  readonly flags: FeatureFlags;
  readonly clientIp: string | undefined;
  /** Takes the request's records from the source's bucket at a rate (records/s of this process). */
  readonly take: (rate: number) => BucketDecision;
  /** Ingest replicas sharing a source's max_eps (each process's bucket runs at max_eps / replicas). */
  readonly replicas: number;
}

const DETAIL: Record<AdmissionReason, string> = {
  allowed: 'Admitted',
  disabled: 'Source is disabled',
  ip_not_allowed: 'Client IP not in allowed list',
  rate_limit: 'Rate limit exceeded',
};

/**
 * The original's HTTP admission (§6.2), per source: off unless ADMISSION_HTTP_ENABLED (the UDP
 * transport: ADMISSION_UDP_ENABLED); a request without a registered source of its tenant passes; a
 * disabled source refuses (403 disabled); with HTTP_IP_ALLOWLIST_ENABLED an http source with allowed
 * networks refuses other addresses (403 ip_not_allowed; UDP exporters are always checked, as the
 * admission test does); `max_eps` with `block_on_exceed` refuses what its bucket cannot hold (429
 * rate_limit). ADMISSION_LOG_ONLY turns every refusal into a logged, counted pass. Pure.
 */
export function decideAdmission(input: AdmissionInput): AdmissionVerdict {
  const { request, source, flags } = input;
  const enabled = request.transport === 'http' ? flags.ADMISSION_HTTP_ENABLED : flags.ADMISSION_UDP_ENABLED;
  const base = { ...(source ? { sourceId: source.sourceId } : {}), ...(input.clientIp ? { clientIp: input.clientIp } : {}) };
  if (!enabled || !source) return { admitted: true, reason: 'allowed', logOnly: false, ...base, detail: source ? 'Admission is off' : 'No registered source' };
  let reason: AdmissionReason = 'allowed';
  let retryAfterS: number | undefined;
  if (source.status !== 'enabled') reason = 'disabled';
  else if (request.transport === 'udp') {
    reason = input.clientIp ? admissionOf(source, input.clientIp, { compatAllowEmptyIps: flags.ADMISSION_COMPAT_ALLOW_EMPTY_IPS }) : 'ip_not_allowed';
  } else if (flags.HTTP_IP_ALLOWLIST_ENABLED && source.type === 'http' && source.allowedIps.length > 0) {
    const inside = input.clientIp !== undefined && source.allowedIps.some((cidr) => cidrContains(cidr, input.clientIp!));
    if (!inside) reason = 'ip_not_allowed';
  }
  if (reason === 'allowed' && source.maxEps > 0 && source.blockOnExceed) {
    const decision = input.take(source.maxEps / Math.max(1, input.replicas));
    if (!decision.taken) {
      reason = 'rate_limit';
      retryAfterS = decision.retryAfterS;
    }
  }
  if (reason === 'allowed') return { admitted: true, reason, logOnly: false, ...base, detail: DETAIL.allowed };
  const logOnly = flags.ADMISSION_LOG_ONLY;
  return {
    admitted: logOnly,
    reason,
    logOnly,
    ...base,
    ...(retryAfterS !== undefined ? { retryAfterS } : {}),
    detail: logOnly ? `${DETAIL[reason]} (ADMISSION_LOG_ONLY: admitted)` : DETAIL[reason],
  };
}
