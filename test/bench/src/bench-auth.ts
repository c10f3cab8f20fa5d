import { generateIssuedToken, saltedSecret, seedSecret } from '@telemetry/auth';
import { ControlKeyResolver, ControlMetrics, ControlPlaneService, ControlState, type ControlConfig } from '@telemetry/control';
import { TenantQuotaGate } from '@telemetry/ingest';
import { createMetricsRegistry } from '@telemetry/platform';
import type { ControlEvent } from '@telemetry/contracts';
import type { StageResult } from './bench-stages';

/**
 * The ingest path's per-request cost of the control plane: authenticating the key against the
 * folded state (an issued `tk_` key: lookup + salted sha256; a configured seed key: the cached
 * scrypt derivation) and the tenant's quota checks (in-flight slot + records/s bucket). Timed over
 * many calls in this process, warm; the bound is 50 µs per request.
 */
export async function runAuthStage(requests = 200_000): Promise<StageResult> {
  const now = new Date();
  const state = new ControlState();
  const meta = (eventId: string, aggregateId: string) => ({
    schemaVersion: 1,
    eventId,
    aggregateId,
    occurredAt: now.toISOString(),
    actor: { system: 'seed' as const },
  });
  const apply = (event: ControlEvent) => state.apply(event);
  apply({
    type: 'TenantCreated',
    ...meta('t', 'tenant:bench'),
    data: { tenantId: 'bench', name: 'bench', retentionDays: 7, quotas: { eps: 1e9, in_flight: 1_000 } },
  });
  // A realistic key table: 1,000 issued keys, the one used among them.
  let token = '';
  for (let index = 0; index < 1_000; index += 1) {
    const issued = generateIssuedToken();
    if (index === 500) token = issued.token;
    apply({
      type: 'ApiKeyIssued',
      ...meta(`k${index}`, `api_key:${issued.keyId}`),
      data: { keyId: issued.keyId, tenantId: 'bench', scopes: ['ingest'], secret: saltedSecret(issued.secret), origin: 'api' },
    });
  }
  const seedToken = 'bench-seed-key-0123456789';
  const seed = await seedSecret(seedToken, 'bench');
  apply({
    type: 'ApiKeyIssued',
    ...meta('seed', `api_key:${seed.keyId}`),
    data: { keyId: seed.keyId, tenantId: 'bench', scopes: ['admin'], secret: seed.secret, origin: 'seed' },
  });

  // The resolver as the apps run it, over this state; "last used" reporting is a no-op here.
  const control = { state, caughtUp: async () => undefined, execute: async () => [] } as unknown as ControlPlaneService;
  const config = { defaultTenant: 'bench' } as ControlConfig;
  const resolver = new ControlKeyResolver(control, new ControlMetrics(createMetricsRegistry()), config, () => now);
  const gate = new TenantQuotaGate();
  const quotas = state.liveTenant('bench')?.quotas;

  const time = async (what: () => Promise<unknown>): Promise<number> => {
    for (let index = 0; index < 1_000; index += 1) await what();
    const started = process.hrtime.bigint();
    for (let index = 0; index < requests; index += 1) await what();
    return Number(process.hrtime.bigint() - started) / 1_000 / requests;
  };
  const issuedUs = await time(() => resolver.authenticate(token));
  const seedUs = await time(() => resolver.authenticate(seedToken));
  const quotaUs = await time(async () => {
    const leave = gate.enter('bench', quotas);
    gate.takeRecords('bench', 1_000, quotas);
    leave();
  });
  const perRequestUs = Math.max(issuedUs, seedUs) + quotaUs;
  return {
    stage: 'auth',
    mode: 'n/a',
    variant: 'key lookup + tenant quota checks per ingest request (warm, in process, 1,000 keys)',
    records: requests,
    batchRecords: 1,
    wallMs: (perRequestUs * requests) / 1000,
    recordsPerSec: 1e6 / perRequestUs,
    details: { issuedKeyUs: issuedUs, seedKeyUs: seedUs, quotaChecksUs: quotaUs, perRequestUs },
  };
}
