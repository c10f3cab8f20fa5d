import { sourceAggregateId, type SourceEvent, type SourceSettings, type SourceStatus, type SourceType } from '@telemetry/contracts';
import { accept, ControlCommandError, DecideContext, Decision, envelope, refuse } from '../control-decision';

// --- State ----------------------------------------------------------------------------------------

/** A registered source (an exporter, a sensor, an HTTP client) of one tenant. */
export interface Source {
  readonly tenantId: string;
  readonly sourceId: string;
  readonly type: SourceType;
  readonly displayName: string;
  readonly collector: string;
  readonly site?: string;
  readonly tags: readonly string[];
  readonly notes?: string;
  readonly status: SourceStatus;
  /** Canonical CIDRs. */
  readonly allowedIps: readonly string[];
  /** 0 = unlimited. */
  readonly maxEps: number;
  readonly blockOnExceed: boolean;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** What the source decider reads besides its own aggregate. */
export interface SourceView {
  source(tenantId: string, sourceId: string): Source | undefined;
  /** Every tenant's source with this id (ids are unique per tenant only). */
  sourcesWithId(sourceId: string): readonly Source[];
  /** A tenant that exists and is not deleted. */
  liveTenant(tenantId: string): unknown;
}

// --- Commands -------------------------------------------------------------------------------------

/** Who asks: an admin acting globally (`tenantId` absent), or for one tenant (a tenant's key, or an admin with X-Tenant-ID). */
export interface SourceActor {
  readonly tenantId?: string;
}

/** Which source a command names: its id, and (for an admin acting globally) optionally its tenant. */
export interface SourceTarget {
  readonly sourceId: string;
  readonly as: SourceActor;
  /** `?tenant=`: which tenant's source, for an admin acting globally when several tenants use the id. */
  readonly tenant?: string;
}

export type SourceCommand =
  | {
      readonly type: 'RegisterSource';
      readonly as: SourceActor;
      /** The body's `tenant_id`; absent: the caller's tenant. */
      readonly tenantId?: string;
      readonly sourceId: string;
      readonly sourceType: SourceType;
      readonly displayName: string;
      readonly collector: string;
      readonly site?: string;
      readonly tags: readonly string[];
      readonly notes?: string;
      readonly status: SourceStatus;
      readonly allowedIps: readonly string[];
      readonly maxEps: number;
      readonly blockOnExceed: boolean;
    }
  | (SourceTarget & { readonly type: 'UpdateSource'; readonly changes: SourceSettings })
  | (SourceTarget & { readonly type: 'DeleteSource' });

// --- evolve ---------------------------------------------------------------------------------------

/**
 * The source after `event`. A second registration of a held id (a replica that lost a race) and an
 * update decided on a replaced version leave it unchanged: the log's order decides.
 */
export function evolveSource(source: Source | undefined, event: SourceEvent): Source | undefined {
  switch (event.type) {
    case 'SourceRegistered': {
      if (source) return source;
      const { tenantId, sourceId, type, displayName, collector, site, tags, notes, status, allowedIps, maxEps, blockOnExceed } = event.data;
      return {
        tenantId,
        sourceId,
        type,
        displayName,
        collector,
        ...(site ? { site } : {}),
        tags,
        ...(notes ? { notes } : {}),
        status,
        allowedIps,
        maxEps,
        blockOnExceed,
        createdAt: event.occurredAt,
        updatedAt: event.occurredAt,
      };
    }
    case 'SourceUpdated': {
      if (!source) return source;
      if (event.data.basedOn !== undefined && event.data.basedOn !== source.updatedAt) return source;
      const { displayName, collector, site, tags, notes, status, allowedIps, maxEps, blockOnExceed } = event.data;
      const { site: _site, notes: _notes, ...rest } = source;
      const nextSite = site === undefined ? source.site : site;
      const nextNotes = notes === undefined ? source.notes : notes;
      return {
        ...rest,
        ...(displayName !== undefined ? { displayName } : {}),
        ...(collector !== undefined ? { collector } : {}),
        ...(nextSite ? { site: nextSite } : {}),
        ...(tags !== undefined ? { tags } : {}),
        ...(nextNotes ? { notes: nextNotes } : {}),
        ...(status !== undefined ? { status } : {}),
        ...(allowedIps !== undefined ? { allowedIps } : {}),
        ...(maxEps !== undefined ? { maxEps } : {}),
        ...(blockOnExceed !== undefined ? { blockOnExceed } : {}),
        updatedAt: event.occurredAt,
      };
    }
    case 'SourceDeleted':
      return undefined;
  }
}

// --- decide ---------------------------------------------------------------------------------------

export function decideSource(command: SourceCommand, view: SourceView, ctx: DecideContext): Decision {
  switch (command.type) {
    case 'RegisterSource': {
      const tenantId = registrationTenant(command, ctx);
      if (tenantId instanceof ControlCommandError) return { error: tenantId };
      if (!view.liveTenant(tenantId)) return refuse('tenant_not_found', 404, `No tenant "${tenantId}"`, { tenant_id: tenantId });
      if (view.source(tenantId, command.sourceId)) {
        return refuse('source_exists', 409, `Source "${command.sourceId}" already exists in tenant "${tenantId}"`, {
          id: command.sourceId,
          tenant_id: tenantId,
        });
      }
      const { sourceId, sourceType, displayName, collector, site, tags, notes, status, allowedIps, maxEps, blockOnExceed } = command;
      return accept({
        type: 'SourceRegistered',
        ...envelope(ctx, sourceAggregateId(tenantId, sourceId)),
        data: {
          tenantId,
          sourceId,
          type: sourceType,
          displayName,
          collector,
          ...(site ? { site } : {}),
          tags,
          ...(notes ? { notes } : {}),
          status,
          allowedIps,
          maxEps,
          blockOnExceed,
        },
      });
    }
    case 'UpdateSource': {
      const found = locateSource(view, command);
      if ('error' in found) return found;
      const existing = found.source;
      const changes = changedSettings(existing, command.changes);
      // Nothing changes: no event (a PATCH with the current values is not a new version).
      if (Object.keys(changes).length === 0) return accept();
      return accept({
        type: 'SourceUpdated',
        ...envelope(ctx, sourceAggregateId(existing.tenantId, existing.sourceId)),
        data: { tenantId: existing.tenantId, sourceId: existing.sourceId, ...changes, basedOn: existing.updatedAt },
      });
    }
    case 'DeleteSource': {
      const found = locateSource(view, command);
      if ('error' in found) return found;
      const { tenantId, sourceId } = found.source;
      return accept({ type: 'SourceDeleted', ...envelope(ctx, sourceAggregateId(tenantId, sourceId)), data: { tenantId, sourceId } });
    }
  }
}

/**
 * The tenant a new source belongs to: an admin acting globally may name any (absent: its key's own);
 * anyone else registers for the tenant it acts for, and naming another is 403.
 */
function registrationTenant(command: Extract<SourceCommand, { type: 'RegisterSource' }>, ctx: DecideContext): string | ControlCommandError {
  const acting = command.as.tenantId;
  if (acting === undefined) return command.tenantId ?? ('tenantId' in ctx.actor ? ctx.actor.tenantId : ctx.defaultTenant);
  if (command.tenantId !== undefined && command.tenantId !== acting) {
    return new ControlCommandError(
      'tenant_mismatch',
      403,
      `This key acts for tenant "${acting}" and cannot register a source for tenant "${command.tenantId}"`,
      {
        field: 'tenant_id',
      },
    );
  }
  return acting;
}

/**
 * The source a request names. A tenant's caller sees its own tenant's only (another's is "not
 * found": its existence is not disclosed); an admin acting globally names any, by `tenant` when
 * the id is used in several tenants.
 */
export function locateSource(
  view: Pick<SourceView, 'source' | 'sourcesWithId'>,
  target: SourceTarget,
): { readonly source: Source } | { readonly error: ControlCommandError } {
  const notFound = () => ({ error: new ControlCommandError('source_not_found', 404, `No source "${target.sourceId}"`, { id: target.sourceId }) });
  const tenant = target.as.tenantId ?? target.tenant;
  if (target.as.tenantId !== undefined && target.tenant !== undefined && target.tenant !== target.as.tenantId) {
    return { error: new ControlCommandError('tenant_mismatch', 403, `This key acts for tenant "${target.as.tenantId}"`, { field: 'tenant' }) };
  }
  if (tenant !== undefined) {
    const source = view.source(tenant, target.sourceId);
    return source ? { source } : notFound();
  }
  const candidates = view.sourcesWithId(target.sourceId);
  if (candidates.length === 0) return notFound();
  if (candidates.length > 1) {
    return {
      error: new ControlCommandError(
        'source_ambiguous',
        409,
        `Source id "${target.sourceId}" is used by ${candidates.length} tenants; name one with ?tenant= or X-Tenant-ID`,
        {
          id: target.sourceId,
          tenant_ids: candidates.map((source) => source.tenantId),
        },
      ),
    };
  }
  return { source: candidates[0] };
}

/** The settings that differ from the source's ("" clears site and notes). */
function changedSettings(source: Source, wanted: SourceSettings): SourceSettings {
  const differs = <T>(next: T | undefined, current: T): next is T => next !== undefined && next !== current;
  const sameList = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((item, index) => item === b[index]);
  return {
    ...(differs(wanted.displayName, source.displayName) ? { displayName: wanted.displayName } : {}),
    ...(differs(wanted.collector, source.collector) ? { collector: wanted.collector } : {}),
    ...(differs(wanted.site, source.site ?? '') ? { site: wanted.site } : {}),
    ...(wanted.tags !== undefined && !sameList(wanted.tags, source.tags) ? { tags: wanted.tags } : {}),
    ...(differs(wanted.notes, source.notes ?? '') ? { notes: wanted.notes } : {}),
    ...(differs(wanted.status, source.status) ? { status: wanted.status } : {}),
    ...(wanted.allowedIps !== undefined && !sameList(wanted.allowedIps, source.allowedIps) ? { allowedIps: wanted.allowedIps } : {}),
    ...(differs(wanted.maxEps, source.maxEps) ? { maxEps: wanted.maxEps } : {}),
    ...(differs(wanted.blockOnExceed, source.blockOnExceed) ? { blockOnExceed: wanted.blockOnExceed } : {}),
  };
}
