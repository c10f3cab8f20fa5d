import { SCOPES, tenantIdProblem, upcastControlEvent, UnreadableControlEventError } from './control-events';

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
});
