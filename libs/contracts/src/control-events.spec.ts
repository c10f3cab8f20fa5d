import { INTEL_EVENT_TYPES, SCOPES, sourceAggregateId, tenantIdProblem, upcastControlEvent, UnreadableControlEventError } from './control-events';

describe('control events', () => {
  const event = {
    type: 'TenantCreated',
    schemaVersion: 1,
    eventId: 'e1',
    aggregateId: 'tenant:acme',
    occurredAt: '2026-12-02T08:00:00.000Z',
    actor: { system: 'seed' },
    data: { tenantId: 'acme', name: 'acme', retentionDays: 7, quotas: {} },
  };

  it('reads the current version as it is', () => {
    expect(upcastControlEvent(event)).toEqual(event);
  });

  it('refuses what it cannot read, saying why', () => {
    expect(() => upcastControlEvent({ ...event, type: 'TenantRenamed' })).toThrow(/unknown control event type "TenantRenamed"/);
    expect(() => upcastControlEvent({ ...event, schemaVersion: 2 })).toThrow(/newer than this build reads \(1\)/);
    expect(() => upcastControlEvent({ ...event, schemaVersion: 0 })).toThrow(UnreadableControlEventError);
    expect(() => upcastControlEvent({ ...event, data: null })).toThrow(/data are required/);
    expect(() => upcastControlEvent([event])).toThrow(/JSON object/);
  });

  it('tenant ids are lowercase slugs', () => {
    for (const good of ['default', 'acme', 'a', 'tenant-lq3k-9x2', '0abc']) expect(tenantIdProblem(good)).toBeNull();
    for (const bad of ['', 'Acme', '-acme', 'acme-', 'a_b', 'a b', 'ä', 'x'.repeat(64), 42]) expect(tenantIdProblem(bad)).not.toBeNull();
  });

  it('has the scopes of the original product, plus read_sources it used', () => {
    expect(SCOPES).toEqual(['ingest', 'read_metrics', 'read_requests', 'export', 'manage_indicators', 'read_sources', 'admin']);
  });

  it('reads the source events, keyed by tenant and id; every process folds them (they are not threat-intel events)', () => {
    const registered = {
      ...event,
      type: 'SourceRegistered',
      aggregateId: sourceAggregateId('acme', 'edge-1'),
      data: {
        tenantId: 'acme',
        sourceId: 'edge-1',
        type: 'udp',
        displayName: 'edge',
        collector: 'gw-1',
        tags: [],
        status: 'enabled',
        allowedIps: ['10.0.0.0/8'],
        maxEps: 0,
        blockOnExceed: true,
      },
    };
    expect(registered.aggregateId).toBe('source:acme/edge-1');
    expect(upcastControlEvent(registered)).toEqual(registered);
    for (const type of ['SourceRegistered', 'SourceUpdated', 'SourceDeleted']) {
      expect(upcastControlEvent({ ...registered, type }).type).toBe(type);
      expect(INTEL_EVENT_TYPES.has(type)).toBe(false);
    }
  });
});
