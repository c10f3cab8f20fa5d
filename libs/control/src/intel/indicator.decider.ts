import { hash } from 'node:crypto';
import { FEED_SOURCE_PREFIX, indicatorAggregateId, type IndicatorAdded, type IndicatorEvent } from '@telemetry/contracts';
import { accept, DecideContext, Decision, envelope, refuse } from '../control-decision';

// --- State ----------------------------------------------------------------------------------------

/** A threat-intel indicator as the control plane holds it. */
export interface IndicatorRecord {
  readonly indicatorId: string;
  /** Absent: global (every tenant's flows match it). */
  readonly tenantId?: string;
  /** The canonical network. */
  readonly value: string;
  readonly category: string;
  readonly confidence: number;
  readonly source: string;
  readonly expiresAt?: string;
  /** The feed that lists it (its source is `feed:<name>`); absent for indicators added through the API. */
  readonly feedId?: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** What the indicator decider reads besides its own aggregate. */
export interface IndicatorView {
  indicator(indicatorId: string): IndicatorRecord | undefined;
  /** A tenant that exists and is not deleted. */
  liveTenant(tenantId: string): unknown;
}

/**
 * The id of an indicator: the same value from the same source in the same scope is the same
 * indicator (adding it again replaces it: idempotent), 16 hex characters as the original's ids.
 */
export function indicatorIdOf(tenantId: string | undefined, value: string, source: string): string {
  // The one-shot hash: a million feed entries are folded by every process that serves indicators.
  return hash('sha256', `${tenantId ?? '*'}\n${value}\n${source}`, 'hex').slice(0, 16);
}

// --- Commands -------------------------------------------------------------------------------------

/** Who asks: an admin acting globally (`tenantId` absent), or for one tenant. */
export interface IntelActor {
  readonly tenantId?: string;
}

export type IndicatorCommand =
  | {
      readonly type: 'AddIndicator';
      readonly tenantId?: string;
      /** The canonical network (the edge parsed it). */
      readonly value: string;
      readonly category: string;
      readonly confidence: number;
      readonly source: string;
      readonly expiresAt?: string;
    }
  | { readonly type: 'RemoveIndicator'; readonly indicatorId: string; readonly as: IntelActor };

// --- evolve ---------------------------------------------------------------------------------------

/** The indicator after `event`; an added indicator identical to the held one returns it unchanged. */
export function evolveIndicator(indicator: IndicatorRecord | undefined, event: IndicatorEvent, feedId?: string): IndicatorRecord | undefined {
  switch (event.type) {
    case 'IndicatorAdded': {
      const { indicatorId, tenantId, value, category, confidence, source, expiresAt } = event.data;
      if (indicator && sameIndicator(indicator, event.data)) return indicator;
      return {
        indicatorId,
        ...(tenantId !== undefined ? { tenantId } : {}),
        value,
        category,
        confidence,
        source,
        ...(expiresAt !== undefined ? { expiresAt } : {}),
        ...(feedId !== undefined ? { feedId } : {}),
        createdAt: indicator?.createdAt ?? event.occurredAt,
        updatedAt: event.occurredAt,
      };
    }
    case 'IndicatorRemoved':
      return undefined;
  }
}

function sameIndicator(a: IndicatorRecord, b: IndicatorAdded['data']): boolean {
  return a.category === b.category && a.confidence === b.confidence && a.expiresAt === b.expiresAt;
}

// --- decide ---------------------------------------------------------------------------------------

export function decideIndicator(command: IndicatorCommand, view: IndicatorView, ctx: DecideContext): Decision {
  switch (command.type) {
    case 'AddIndicator': {
      if (command.source.startsWith(FEED_SOURCE_PREFIX)) {
        return refuse('reserved_source', 422, `Sources starting with "${FEED_SOURCE_PREFIX}" belong to registered feeds`, { field: 'source' });
      }
      if (command.tenantId !== undefined && !view.liveTenant(command.tenantId)) {
        return refuse('tenant_not_found', 404, `No tenant "${command.tenantId}"`, { tenant_id: command.tenantId });
      }
      if (command.expiresAt !== undefined && Date.parse(command.expiresAt) <= ctx.now.getTime()) {
        return refuse('validation_failed', 422, 'expires_at is in the past', { errors: [{ field: 'expires_at', message: 'must be in the future' }] });
      }
      const indicatorId = indicatorIdOf(command.tenantId, command.value, command.source);
      const existing = view.indicator(indicatorId);
      const data: IndicatorAdded['data'] = {
        indicatorId,
        ...(command.tenantId !== undefined ? { tenantId: command.tenantId } : {}),
        value: command.value,
        category: command.category,
        confidence: command.confidence,
        source: command.source,
        ...(command.expiresAt !== undefined ? { expiresAt: command.expiresAt } : {}),
      };
      // The same indicator again: nothing to append (idempotent).
      if (existing && sameIndicator(existing, data)) return accept();
      return accept({ type: 'IndicatorAdded', ...envelope(ctx, indicatorAggregateId(indicatorId)), data });
    }
    case 'RemoveIndicator': {
      const existing = view.indicator(command.indicatorId);
      // Another tenant's indicator is "not found" to a tenant: its existence is not disclosed.
      if (!existing || (command.as.tenantId !== undefined && existing.tenantId !== undefined && existing.tenantId !== command.as.tenantId)) {
        return refuse('indicator_not_found', 404, `No indicator "${command.indicatorId}"`, { id: command.indicatorId });
      }
      if (command.as.tenantId !== undefined && existing.tenantId === undefined) {
        return refuse('global_indicator', 403, 'A global indicator can only be removed by an admin key acting globally (without X-Tenant-ID)', {
          id: command.indicatorId,
        });
      }
      if (existing.feedId !== undefined) {
        return refuse(
          'indicator_owned_by_feed',
          409,
          `Indicator "${command.indicatorId}" comes from feed ${existing.feedId}; delete or change the feed instead`,
          {
            id: command.indicatorId,
            feed_id: existing.feedId,
          },
        );
      }
      return accept({
        type: 'IndicatorRemoved',
        ...envelope(ctx, indicatorAggregateId(command.indicatorId)),
        data: { indicatorId: command.indicatorId, ...(existing.tenantId !== undefined ? { tenantId: existing.tenantId } : {}) },
      });
    }
  }
}
