import { TenantQuotaError, TenantQuotaGate } from './tenant-quota.gate';

describe('TenantQuotaGate', () => {
  it('admits a burst of twice the rate, then refuses with the seconds until enough has refilled', () => {
    let now = 0;
    const gate = new TenantQuotaGate(() => now);
    const quotas = { eps: 100 };
    gate.takeRecords('acme', 150, quotas);
    gate.takeRecords('acme', 50, quotas);
    let refused: unknown;
    try {
      gate.takeRecords('acme', 100, quotas);
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(TenantQuotaError);
    expect(refused).toMatchObject({ code: 'tenant_rate_limited', status: 429, details: { tenant_id: 'acme', limit: 100, retry_after: 1 } });
    now += 1_000;
    expect(() => gate.takeRecords('acme', 100, quotas)).not.toThrow();
    // Other tenants have their own bucket; no quota means no limit.
    expect(() => gate.takeRecords('other', 200, quotas)).not.toThrow();
    expect(() => gate.takeRecords('free', 1_000_000, {})).not.toThrow();
  });

  it('lets a batch larger than the bucket through when the bucket is full, and the debt makes the next one wait', () => {
    let now = 0;
    const gate = new TenantQuotaGate(() => now);
    gate.takeRecords('acme', 1_000, { eps: 100 });
    expect(() => gate.takeRecords('acme', 1, { eps: 100 })).toThrow(/retry after 9 s/);
    now += 10_000;
    expect(() => gate.takeRecords('acme', 1, { eps: 100 })).not.toThrow();
  });

  it('counts requests in flight per tenant and frees a slot once, however often its end is called', () => {
    const gate = new TenantQuotaGate();
    const first = gate.enter('acme', { in_flight: 2 });
    gate.enter('acme', { in_flight: 2 });
    expect(() => gate.enter('acme', { in_flight: 2 })).toThrow(TenantQuotaError);
    first();
    first();
    const third = gate.enter('acme', { in_flight: 2 });
    expect(() => gate.enter('acme', { in_flight: 2 })).toThrow(/already has 2 ingest requests in flight/);
    third();
    expect(() => gate.enter('other', { in_flight: 1 })).not.toThrow();
  });
});
