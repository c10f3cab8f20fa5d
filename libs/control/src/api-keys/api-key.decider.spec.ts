import type { ControlEvent, StoredSecret } from '@telemetry/contracts';
import { decideApiKey, keyIsActive } from './api-key.decider';
import { given, testContext } from '../testing/decider-specification';

const NOW = new Date('2026-12-02T08:00:00.000Z');
const ctx = () => testContext(NOW);
const SECRET: StoredSecret = { alg: 'sha256-salted', salt: 'c2FsdA==', digest: 'ZGlnZXN0' };
const NEW_SECRET: StoredSecret = { alg: 'sha256-salted', salt: 'bmV3', digest: 'bmV3ZGlnZXN0' };

const meta = (eventId: string, aggregateId: string) => ({
  schemaVersion: 1,
  eventId,
  aggregateId,
  occurredAt: '2026-12-01T00:00:00.000Z',
  actor: { system: 'seed' as const },
});
const tenant = (tenantId: string): ControlEvent => ({
  type: 'TenantCreated',
  ...meta(`created-${tenantId}`, `tenant:${tenantId}`),
  data: { tenantId, name: tenantId, retentionDays: 7, quotas: {} },
});
const issued = (keyId: string, origin: 'api' | 'seed' = 'api', tenantId = 'acme'): ControlEvent => ({
  type: 'ApiKeyIssued',
  ...meta(`issued-${keyId}`, `api_key:${keyId}`),
  data: { keyId, tenantId, scopes: ['ingest'], secret: SECRET, origin },
});
const revoked = (keyId: string): ControlEvent => ({
  type: 'ApiKeyRevoked',
  ...meta(`revoked-${keyId}`, `api_key:${keyId}`),
  data: { keyId, tenantId: 'acme', reason: 'revoked' },
});
const issue = (keyId: string, extra: Record<string, unknown> = {}) => ({
  type: 'IssueApiKey' as const,
  keyId,
  tenantId: 'acme',
  scopes: ['ingest' as const, 'export' as const],
  secret: SECRET,
  origin: 'api' as const,
  ...extra,
});

describe('the API key decider', () => {
  it('issues a key of an existing tenant, with its hash and never a clear secret', () => {
    const [event] = given(decideApiKey, [tenant('acme')])
      .when(issue('tk_1', { name: 'sensor', expiresAt: '2027-01-01T00:00:00.000Z' }), ctx())
      .thenEvents([
        {
          type: 'ApiKeyIssued',
          aggregateId: 'api_key:tk_1',
          data: {
            keyId: 'tk_1',
            tenantId: 'acme',
            scopes: ['ingest', 'export'],
            name: 'sensor',
            expiresAt: '2027-01-01T00:00:00.000Z',
            secret: SECRET,
            origin: 'api',
          },
        },
      ]);
    expect(JSON.stringify(event)).not.toMatch(/"token"|"api_key"/);
  });

  it('refuses a key for an unknown or deleted tenant (404) and one that expires in the past (422)', () => {
    given(decideApiKey, []).when(issue('tk_1'), ctx()).thenError('tenant_not_found', 404);
    const deleted: ControlEvent = { type: 'TenantDeleted', ...meta('d', 'tenant:acme'), data: { tenantId: 'acme' } };
    given(decideApiKey, [tenant('acme'), deleted])
      .when(issue('tk_1'), ctx())
      .thenError('tenant_not_found', 404);
    const past = given(decideApiKey, [tenant('acme')])
      .when(issue('tk_1', { expiresAt: '2026-12-01T00:00:00.000Z' }), ctx())
      .thenError('validation_failed', 422);
    expect(past.details).toEqual({ errors: [{ field: 'expires_at', message: 'must be in the future' }] });
  });

  it('seeds idempotently: the same seed key again appends nothing, even once revoked', () => {
    given(decideApiKey, [tenant('acme'), issued('seed_1', 'seed')])
      .when(issue('seed_1', { origin: 'seed' }), ctx())
      .thenEvents([]);
    given(decideApiKey, [tenant('acme'), issued('seed_1', 'seed'), revoked('seed_1')])
      .when(issue('seed_1', { origin: 'seed' }), ctx())
      .thenEvents([]);
    given(decideApiKey, [tenant('acme'), issued('tk_1')])
      .when(issue('tk_1'), ctx())
      .thenError('key_exists', 409);
  });

  it('gives the admin scope only to keys of the default tenant (admin reaches every tenant)', () => {
    const refused = given(decideApiKey, [tenant('acme')])
      .when(issue('tk_1', { scopes: ['admin'] }), ctx())
      .thenError('validation_failed', 422);
    expect(refused.details).toEqual({ errors: [{ field: 'scopes', message: 'admin is only for keys of the default tenant "default"' }] });
    given(decideApiKey, [tenant('default')])
      .when(issue('tk_2', { tenantId: 'default', scopes: ['admin'] }), ctx())
      .thenEvents([{ type: 'ApiKeyIssued' }]);
  });

  it('revokes an active key once; a second revoke is 409 key_revoked, an unknown key 404', () => {
    const spec = given(decideApiKey, [tenant('acme'), issued('tk_1')]);
    spec
      .when({ type: 'RevokeApiKey', keyId: 'tk_1' }, ctx())
      .thenEvents([{ type: 'ApiKeyRevoked', data: { keyId: 'tk_1', tenantId: 'acme', reason: 'revoked' } }]);
    given(decideApiKey, [tenant('acme'), issued('tk_1'), revoked('tk_1')])
      .when({ type: 'RevokeApiKey', keyId: 'tk_1' }, ctx())
      .thenError('key_revoked', 409);
    spec.when({ type: 'RevokeApiKey', keyId: 'tk_nope' }, ctx()).thenError('key_not_found', 404);
  });

  it('rotates: a new secret, the old one valid for the grace period; seed keys and revoked keys refuse', () => {
    const spec = given(decideApiKey, [tenant('acme'), issued('tk_1')]);
    const [rotated] = spec
      .when({ type: 'RotateApiKey', keyId: 'tk_1', secret: NEW_SECRET, graceSeconds: 3600 }, ctx())
      .thenEvents([{ type: 'ApiKeyRotated', data: { keyId: 'tk_1', tenantId: 'acme', secret: NEW_SECRET, previousValidUntil: '2026-12-02T09:00:00.000Z' } }]);
    spec.state.apply(rotated);
    expect(spec.state.key('tk_1')?.secrets).toEqual([NEW_SECRET, { ...SECRET, validUntil: '2026-12-02T09:00:00.000Z' }]);
    // A second rotation within the grace keeps the first secret until its own grace ends.
    const third: StoredSecret = { alg: 'sha256-salted', salt: 'dGhpcmQ=', digest: 'dGhpcmQ=' };
    const [again] = given(decideApiKey, [tenant('acme'), issued('tk_1'), rotated])
      .when({ type: 'RotateApiKey', keyId: 'tk_1', secret: third, graceSeconds: 60 }, testContext(new Date('2026-12-02T08:30:00.000Z')))
      .thenEvents([{ type: 'ApiKeyRotated' }]);
    spec.state.apply(again);
    expect(spec.state.key('tk_1')?.secrets).toEqual([
      third,
      { ...NEW_SECRET, validUntil: '2026-12-02T08:31:00.000Z' },
      { ...SECRET, validUntil: '2026-12-02T09:00:00.000Z' },
    ]);
    given(decideApiKey, [tenant('acme'), issued('seed_1', 'seed')])
      .when({ type: 'RotateApiKey', keyId: 'seed_1', secret: NEW_SECRET, graceSeconds: 0 }, ctx())
      .thenError('key_not_rotatable', 409);
    given(decideApiKey, [tenant('acme'), issued('tk_1'), revoked('tk_1')])
      .when({ type: 'RotateApiKey', keyId: 'tk_1', secret: NEW_SECRET, graceSeconds: 0 }, ctx())
      .thenError('key_inactive', 409);
  });

  it('records use at most once per 15 minutes per key', () => {
    const spec = given(decideApiKey, [tenant('acme'), issued('tk_1')]);
    const [used] = spec
      .when({ type: 'RecordApiKeyUse', keyId: 'tk_1', usedAt: NOW }, ctx())
      .thenEvents([{ type: 'ApiKeyUsed', data: { keyId: 'tk_1', tenantId: 'acme', usedAt: NOW.toISOString() } }]);
    spec.state.apply(used);
    spec.when({ type: 'RecordApiKeyUse', keyId: 'tk_1', usedAt: new Date(NOW.getTime() + 14 * 60_000) }, ctx()).thenEvents([]);
    spec.when({ type: 'RecordApiKeyUse', keyId: 'tk_1', usedAt: new Date(NOW.getTime() + 15 * 60_000) }, ctx()).thenEvents([{ type: 'ApiKeyUsed' }]);
  });

  it('a key expires by its own clock, and a key for a tenant deleted first never becomes usable', () => {
    const spec = given(decideApiKey, [tenant('acme')]);
    const [event] = spec.when(issue('tk_1', { expiresAt: '2026-12-02T09:00:00.000Z' }), ctx()).thenEvents([{ type: 'ApiKeyIssued' }]);
    spec.state.apply(event);
    expect(keyIsActive(spec.state.key('tk_1')!, NOW)).toBe(true);
    expect(keyIsActive(spec.state.key('tk_1')!, new Date('2026-12-02T09:00:00.000Z'))).toBe(false);
    const deletedFirst = given(decideApiKey, [tenant('other'), { type: 'TenantDeleted', ...meta('d', 'tenant:other'), data: { tenantId: 'other' } }]);
    expect(deletedFirst.state.apply(issued('tk_2', 'api', 'other'))).toBe(false);
    expect(deletedFirst.state.key('tk_2')).toBeUndefined();
  });
});
