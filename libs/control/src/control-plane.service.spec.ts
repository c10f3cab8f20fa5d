import { generateIssuedToken, saltedSecret } from '@telemetry/auth';
import { defaultTopicSpecs, TOPICS } from '@telemetry/contracts';
import { InMemoryEventLog } from '@telemetry/event-log';
import { createMetricsRegistry } from '@telemetry/platform';
import { ControlKeyResolver } from './api-keys/control-key.resolver';
import { ControlConfig } from './control.config';
import { TEST_CONTROL_CONFIG } from './testing/control-test-config';
import { ControlMetrics } from './control.metrics';
import { ControlPlaneService } from './control-plane.service';

const CONFIG: ControlConfig = TEST_CONTROL_CONFIG;
const SYSTEM = { actor: { system: 'seed' as const }, audit: false };

describe('ControlPlaneService', () => {
  it('refuses the keys of an aggregate whose event it cannot read (a newer schemaVersion), and counts it', async () => {
    const log = new InMemoryEventLog();
    await log.ensureTopics(defaultTopicSpecs(1, 7));
    const registry = createMetricsRegistry();
    const metrics = new ControlMetrics(registry);
    const control = new ControlPlaneService(log, () => new Date(), CONFIG, metrics);
    await control.onModuleInit();
    const resolver = new ControlKeyResolver(control, metrics, CONFIG, () => new Date());
    await control.execute({ type: 'CreateTenant', tenantId: 'default', name: 'default', retentionDays: 7, quotas: {} }, SYSTEM);
    const issued = generateIssuedToken();
    await control.execute(
      { type: 'IssueApiKey', keyId: issued.keyId, tenantId: 'default', scopes: ['ingest'], secret: saltedSecret(issued.secret), origin: 'api' },
      SYSTEM,
    );
    expect(await resolver.authenticate(issued.token)).toMatchObject({ keyId: issued.keyId, tenantId: 'default' });

    // A newer build revoked it with an event this build cannot read: fail closed.
    const future = {
      type: 'ApiKeyRevoked',
      schemaVersion: 2,
      eventId: 'e-future',
      aggregateId: `api_key:${issued.keyId}`,
      occurredAt: new Date().toISOString(),
      actor: { system: 'seed' },
      data: {},
    };
    await log.publish(TOPICS.control, [{ key: `api_key:${issued.keyId}`, value: JSON.stringify(future) }]);
    await control.caughtUp(5_000);
    expect(await resolver.authenticate(issued.token)).toBeUndefined();
    expect((await registry.getSingleMetric('telemetry_control_unreadable_events_total')?.get())?.values[0].value).toBe(1);
    await control.onModuleDestroy();
  });
});
