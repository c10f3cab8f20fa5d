import { defaultTopicSpecs, TOPICS } from '@telemetry/contracts';
import { InMemoryEventLog } from '@telemetry/event-log';
import { createMetricsRegistry } from '@telemetry/platform';
import { ControlConfig } from './control.config';
import { TEST_CONTROL_CONFIG } from './testing/control-test-config';
import { ControlMetrics } from './control.metrics';
import { ControlPlaneService } from './control-plane.service';
import { ControlSeeding } from './control-seeding';

const CONFIG: ControlConfig = { ...TEST_CONTROL_CONFIG, seedKeys: ['replica-seed-key-0123456789'] };

describe('seeding at start', () => {
  it('replicas starting at once on one log seed the default tenant and each configured key exactly once, and all of them start', async () => {
    const log = new InMemoryEventLog();
    await log.ensureTopics(defaultTopicSpecs(1, 7));
    const replicas = Array.from({ length: 3 }, () => new ControlPlaneService(log, () => new Date(), CONFIG, new ControlMetrics(createMetricsRegistry())));
    await Promise.all(replicas.map((replica) => replica.onModuleInit()));
    // The three seed together: whichever interleaving happens (a decision after another's event, or a lost append), each start succeeds.
    await Promise.all(replicas.map((replica) => new ControlSeeding(replica, CONFIG).onApplicationBootstrap()));
    await Promise.all(replicas.map((replica) => replica.caughtUp(5_000)));

    for (const replica of replicas) {
      expect(replica.state.listTenants().map((tenant) => tenant.tenantId)).toEqual(['default']);
      expect(replica.state.listKeys().map((key) => [key.origin, key.tenantId, key.scopes])).toEqual([['seed', 'default', ['admin']]]);
    }
    const written: string[] = [];
    const tail = await log.tail({
      topics: [TOPICS.control],
      handler: async (batch) => void written.push(...batch.records.map((record) => record.headers['event-type'])),
    });
    await tail.caughtUp();
    await tail.close();
    // Lost races may leave extra appends in the log; the fold keeps the first of each.
    expect(written.filter((type) => type === 'TenantCreated').length).toBeGreaterThanOrEqual(1);
    await Promise.all(replicas.map((replica) => replica.onModuleDestroy()));
  });

  it('revokes a seed key that was taken out of the configuration, and keeps the new one', async () => {
    const log = new InMemoryEventLog();
    await log.ensureTopics(defaultTopicSpecs(1, 7));
    const start = async (config: ControlConfig) => {
      const control = new ControlPlaneService(log, () => new Date(), config, new ControlMetrics(createMetricsRegistry()));
      await control.onModuleInit();
      await new ControlSeeding(control, config).onApplicationBootstrap();
      return control;
    };
    const first = await start({ ...CONFIG, seedKeys: ['leaked-admin-key-0000000001'] });
    const leaked = first.state.listKeys()[0].keyId;
    await first.onModuleDestroy();
    const second = await start({ ...CONFIG, seedKeys: ['fresh-admin-key-0000000002'] });
    const keys = second.state.listKeys();
    expect(keys).toHaveLength(2);
    expect(keys.find((key) => key.keyId === leaked)).toMatchObject({ revokedAt: expect.any(String) });
    expect(keys.find((key) => key.keyId !== leaked)).not.toHaveProperty('revokedAt');
    await second.onModuleDestroy();
  });
});
