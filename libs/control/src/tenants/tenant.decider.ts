import { apiKeyAggregateId, tenantAggregateId, type TenantEvent, type TenantQuotas } from '@telemetry/contracts';
import { accept, DecideContext, Decision, envelope, refuse } from '../control-decision';

// --- State ----------------------------------------------------------------------------------------

export interface Tenant {
  readonly tenantId: string;
  readonly name: string;
  readonly retentionDays: number;
  readonly quotas: TenantQuotas;
  /** The risk policy by name; absent: the deployment's RISK_POLICY. */
  readonly riskPolicy?: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  /** Deleted tenants stay known: their id is never given out again (their data may still be in the read models). */
  readonly deletedAt?: string;
}

/** What the tenant decider reads besides its own aggregate. */
export interface TenantView {
  tenant(tenantId: string): Tenant | undefined;
  /** Ids of the tenant's keys that are neither revoked nor expired at `now`. */
  activeKeyIds(tenantId: string, now: Date): readonly string[];
}

// --- Commands -------------------------------------------------------------------------------------

export type TenantCommand =
  | {
      readonly type: 'CreateTenant';
      readonly tenantId: string;
      readonly name: string;
      readonly retentionDays: number;
      readonly quotas: TenantQuotas;
      readonly riskPolicy?: string;
    }
  | {
      readonly type: 'UpdateTenant';
      readonly tenantId: string;
      readonly name?: string;
      readonly retentionDays?: number;
      readonly quotas?: TenantQuotas;
      /** `""`: back to the deployment's default. */
      readonly riskPolicy?: string;
    }
  | { readonly type: 'DeleteTenant'; readonly tenantId: string; readonly force: boolean };

// --- evolve ---------------------------------------------------------------------------------------

/**
 * The tenant after `event`. An event that does not apply to this state (a second TenantCreated for
 * the same id, written by a replica that lost a race) returns the tenant unchanged: the log's order
 * decides, and every process folds to the same answer.
 */
export function evolveTenant(tenant: Tenant | undefined, event: TenantEvent): Tenant | undefined {
  switch (event.type) {
    case 'TenantCreated':
      if (tenant) return tenant;
      return { ...event.data, createdAt: event.occurredAt, updatedAt: event.occurredAt };
    case 'TenantUpdated': {
      if (!tenant || tenant.deletedAt) return tenant;
      // Decided on a version another change has replaced since: it loses (the writer answers 409 conflict).
      if (event.data.basedOn !== undefined && event.data.basedOn !== tenant.updatedAt) return tenant;
      const { name, retentionDays, quotas, riskPolicy } = event.data;
      const { riskPolicy: _previous, ...rest } = tenant;
      return {
        ...(riskPolicy === undefined ? tenant : rest),
        ...(riskPolicy ? { riskPolicy } : {}),
        ...(name !== undefined ? { name } : {}),
        ...(retentionDays !== undefined ? { retentionDays } : {}),
        ...(quotas !== undefined ? { quotas } : {}),
        updatedAt: event.occurredAt,
      };
    }
    case 'TenantDeleted':
      if (!tenant || tenant.deletedAt) return tenant;
      return { ...tenant, deletedAt: event.occurredAt, updatedAt: event.occurredAt };
  }
}

// --- decide ---------------------------------------------------------------------------------------

export function decideTenant(command: TenantCommand, view: TenantView, ctx: DecideContext): Decision {
  const existing = view.tenant(command.tenantId);
  const aggregate = tenantAggregateId(command.tenantId);
  switch (command.type) {
    case 'CreateTenant': {
      if (existing?.deletedAt) {
        return refuse('tenant_id_retired', 409, `Tenant "${command.tenantId}" was deleted; its id is not given out again`, { tenant_id: command.tenantId });
      }
      if (existing) return refuse('tenant_exists', 409, `Tenant "${command.tenantId}" already exists`, { tenant_id: command.tenantId });
      const { tenantId, name, retentionDays, quotas, riskPolicy } = command;
      return accept({
        type: 'TenantCreated',
        ...envelope(ctx, aggregate),
        data: { tenantId, name, retentionDays, quotas, ...(riskPolicy ? { riskPolicy } : {}) },
      });
    }
    case 'UpdateTenant': {
      if (!existing || existing.deletedAt) return notFound(command.tenantId);
      const data = {
        tenantId: command.tenantId,
        ...(command.name !== undefined && command.name !== existing.name ? { name: command.name } : {}),
        ...(command.retentionDays !== undefined && command.retentionDays !== existing.retentionDays ? { retentionDays: command.retentionDays } : {}),
        ...(command.quotas !== undefined && !sameQuotas(command.quotas, existing.quotas) ? { quotas: command.quotas } : {}),
        ...(command.riskPolicy !== undefined && command.riskPolicy !== (existing.riskPolicy ?? '') ? { riskPolicy: command.riskPolicy } : {}),
      };
      // Nothing changes: no event (PATCH with the current values is a no-op, not a new version).
      if (Object.keys(data).length === 1) return accept();
      return accept({ type: 'TenantUpdated', ...envelope(ctx, aggregate), data: { ...data, basedOn: existing.updatedAt } });
    }
    case 'DeleteTenant': {
      if (!existing || existing.deletedAt) return notFound(command.tenantId);
      if (command.tenantId === ctx.defaultTenant) {
        return refuse('default_tenant', 409, `Tenant "${command.tenantId}" is this deployment's default tenant (DEFAULT_TENANT) and cannot be deleted`, {
          tenant_id: command.tenantId,
        });
      }
      const keys = view.activeKeyIds(command.tenantId, ctx.now);
      if (keys.length > 0 && !command.force) {
        return refuse('tenant_has_active_keys', 409, `Tenant "${command.tenantId}" has ${keys.length} active key(s); revoke them or delete with ?force=true`, {
          tenant_id: command.tenantId,
          active_key_ids: keys,
        });
      }
      return accept(
        ...keys.map((keyId) => ({
          type: 'ApiKeyRevoked' as const,
          ...envelope(ctx, apiKeyAggregateId(keyId)),
          data: { keyId, tenantId: command.tenantId, reason: 'tenant_deleted' as const },
        })),
        { type: 'TenantDeleted', ...envelope(ctx, aggregate), data: { tenantId: command.tenantId } },
      );
    }
  }
}

function notFound(tenantId: string): Decision {
  return refuse('tenant_not_found', 404, `No tenant "${tenantId}"`, { tenant_id: tenantId });
}

function sameQuotas(a: TenantQuotas, b: TenantQuotas): boolean {
  return a.eps === b.eps && a.batch_max === b.batch_max && a.in_flight === b.in_flight;
}
