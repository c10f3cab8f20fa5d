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

  it('folds sources in a process that skips the threat-intel events (ingest admission will read them), and audits the command’s tenant and target', async () => {
    const log = new InMemoryEventLog();
    await log.ensureTopics(defaultTopicSpecs(1, 7));
    const writer = new ControlPlaneService(log, () => new Date(), CONFIG, new ControlMetrics(createMetricsRegistry()));
    await writer.onModuleInit();
    await writer.execute({ type: 'CreateTenant', tenantId: 'acme', name: 'acme', retentionDays: 7, quotas: {} }, SYSTEM);
    const events = await writer.execute(
      {
        type: 'RegisterSource',
        as: {},
        tenantId: 'acme',
        sourceId: 'edge-1',
        sourceType: 'udp',
        displayName: 'edge',
        collector: 'gw-1',
        tags: [],
        status: 'enabled',
        allowedIps: ['10.0.0.0/8'],
        maxEps: 0,
        blockOnExceed: true,
      },
      { actor: { keyId: 'tk_00000000000000ad', tenantId: 'default' }, audit: true },
    );
    expect(events.map((event) => event.type)).toEqual(['SourceRegistered']);
    // Another process (foldIntel off, as the ingest-api) folding the same log from the start.
    const reader = new ControlPlaneService(log, () => new Date(), { ...CONFIG, foldIntel: false }, new ControlMetrics(createMetricsRegistry()));
    await reader.onModuleInit();
    expect(reader.state.sourceByCollector('acme', 'gw-1')).toMatchObject({ sourceId: 'edge-1', allowedIps: ['10.0.0.0/8'] });
    const audit = log
      .records(TOPICS.control)
      .map((record) => JSON.parse(record.value.toString('utf8')) as { type: string; data: unknown })
      .find((doc) => doc.type === 'AdminCommandAudited');
    expect(audit?.data).toMatchObject({ command: 'RegisterSource', tenantId: 'acme', target: 'edge-1', outcome: 'accepted' });
    await Promise.all([writer.onModuleDestroy(), reader.onModuleDestroy()]);
  });
});
