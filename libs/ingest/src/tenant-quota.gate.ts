import type { TenantQuotas } from '@telemetry/contracts';
import { TokenBuckets } from '@telemetry/platform';

/** Why a request was refused by its tenant's quota; the HTTP filter answers 429 with `Retry-After`. */
export class TenantQuotaError extends Error {
  readonly status = 429;
  constructor(
    readonly code: 'tenant_rate_limited' | 'tenant_in_flight_limited',
    message: string,
    readonly details: { readonly tenant_id: string; readonly limit: number; readonly retry_after: number },
  ) {
    super(message);
    this.name = 'TenantQuotaError';
  }
}

/**
 * The per-tenant ingest quotas of one process: records per second as a token bucket (capacity 2×
 * the rate, so a burst of two seconds' worth passes; a batch larger than the bucket passes when the
 * bucket is full and leaves it in debt, so a tenant's batch size never makes it unservable), and
 * requests in flight. Pure but for the clock it is given. State is per process: N ingest replicas
 * admit up to N × the rate (the README says so).
 */
export class TenantQuotaGate {
  private readonly buckets: TokenBuckets;
  private readonly inFlight = new Map<string, number>();

  constructor(now: () => number = Date.now) {
    this.buckets = new TokenBuckets(now);
  }

  /** Takes `records` from the tenant's bucket, or throws TenantQuotaError with the seconds to wait. */
  takeRecords(tenantId: string, records: number, quotas: TenantQuotas | undefined): void {
    const rate = quotas?.eps ?? 0;
    const decision = this.buckets.take(tenantId, rate, records);
    if (!decision.taken) {
      const retryAfter = decision.retryAfterS;
      throw new TenantQuotaError(
        'tenant_rate_limited',
        `Tenant "${tenantId}" is over its quota of ${rate} records/s (bursts to ${2 * rate}); retry after ${retryAfter} s`,
        { tenant_id: tenantId, limit: rate, retry_after: retryAfter },
      );
    }
  }

  /** Counts a request in flight for the tenant; the returned function ends it. Throws when over the quota. */
  enter(tenantId: string, quotas: TenantQuotas | undefined): () => void {
    const limit = quotas?.in_flight;
    const current = this.inFlight.get(tenantId) ?? 0;
    if (limit !== undefined && current >= limit) {
      throw new TenantQuotaError(
        'tenant_in_flight_limited',
        `Tenant "${tenantId}" already has ${current} ingest requests in flight (its quota); retry shortly`,
        {
          tenant_id: tenantId,
          limit,
          retry_after: 1,
        },
      );
    }
    this.inFlight.set(tenantId, current + 1);
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      const left = (this.inFlight.get(tenantId) ?? 1) - 1;
      if (left <= 0) this.inFlight.delete(tenantId);
      else this.inFlight.set(tenantId, left);
    };
  }
}
