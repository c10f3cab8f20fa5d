import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import {
  CONTROL_EVENT_SCHEMA_VERSION,
  CONTROL_HEADERS,
  INTEL_EVENT_TYPES,
  TOPICS,
  upcastControlEvent,
  type AdminCommandAudited,
  type ControlActor,
  type ControlEvent,
} from '@telemetry/contracts';
import { EVENT_LOG, EventLog, RecordBatch, Tail } from '@telemetry/event-log';
import { CLOCK } from '@telemetry/platform';
import { ApiKeyCommand, decideApiKey } from './api-keys/api-key.decider';
import { ControlCommandError, DecideContext, Decision } from './control-decision';
import { ControlMetrics } from './control.metrics';
import { ControlState } from './control-state';
import { CONTROL_CONFIG, ControlConfig } from './control.config';
import { decideTenant, TenantCommand } from './tenants/tenant.decider';
import { decideFeed, FeedCommand } from './intel/feed.decider';
import { decideIndicator, IndicatorCommand } from './intel/indicator.decider';
import { decideFeatureFlags, FeatureFlagCommand } from './flags/feature-flags.decider';
import { decideSource, SourceCommand } from './sources/source.decider';

export type ControlCommand = TenantCommand | ApiKeyCommand | IndicatorCommand | FeedCommand | FeatureFlagCommand | SourceCommand;

export interface CommandMeta {
  readonly actor: ControlActor;
  readonly requestId?: string;
  readonly clientIp?: string;
  /** Admin commands from the API are audited, accepted or refused; a process's own bookkeeping is not. */
  readonly audit: boolean;
  /**
   * What to do when the log shows that another writer's event for the same aggregate landed first:
   * `error` answers 409 `conflict` (an API command), `ignore` accepts it (seeding: the other replica
   * seeded the same thing).
   */
  readonly onConflict?: 'error' | 'ignore';
  /** How long to wait for this process to fold what the command appended (default 5 s; a big feed diff takes longer). */
  readonly catchUpMs?: number;
}

const INITIAL_CATCH_UP_MS = 60_000;
const COMMAND_CATCH_UP_MS = 5_000;

/**
 * The control plane in this process: folds `telemetry.control.v1` through a groupless tail into a
 * ControlState, and runs admin commands (decide against the caught-up state, append, wait until the
 * tail has applied the append: read-your-writes). Commands of one process run one at a time; across
 * processes the log's order decides, and a writer whose event lost a race learns it from the fold.
 */
@Injectable()
export class ControlPlaneService implements OnModuleInit, OnModuleDestroy {
  readonly state = new ControlState();
  private readonly logger = new Logger('control-plane');
  private tail?: Tail;
  /** Event ids this process appended and waits to see folded: whether each changed the state. */
  private readonly outcomes = new Map<string, boolean | undefined>();
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    @Inject(EVENT_LOG) private readonly log: EventLog,
    @Inject(CLOCK) private readonly clock: () => Date,
    @Inject(CONTROL_CONFIG) private readonly config: ControlConfig,
    private readonly metrics: ControlMetrics,
  ) {}

  async onModuleInit(): Promise<void> {
    this.tail = await this.log.tail({ topics: [TOPICS.control], handler: (batch) => this.fold(batch) });
    await this.tail.caughtUp({ timeoutMs: INITIAL_CATCH_UP_MS });
    this.logger.log(
      `control plane folded: ${this.state.events} event(s), ${this.state.listTenants().length} tenant(s), ${this.state.listKeys().length} key(s)`,
    );
  }

  async onModuleDestroy(): Promise<void> {
    await this.tail?.close();
  }

  /** Waits until every control event written before this call is folded (read-your-writes across processes). */
  async caughtUp(timeoutMs: number): Promise<void> {
    if (!this.tail) throw new ControlCommandError('control_plane_starting', 409, 'The control plane is still loading');
    await this.tail.caughtUp({ timeoutMs });
  }

  /**
   * Builds the command from a request (parsing and validating it) and executes it. A request refused
   * before it is a command (a 422 of the edge's validation, a 400) is audited as refused too, under
   * the command's name.
   */
  async executeRequest(commandType: ControlCommand['type'], meta: CommandMeta, build: () => ControlCommand, target?: string): Promise<readonly ControlEvent[]> {
    let command: ControlCommand;
    try {
      command = build();
    } catch (error) {
      if (error instanceof ControlCommandError && meta.audit) {
        this.metrics.commands.inc({ command: commandType, outcome: 'refused' });
        await this.auditRefusal([refusedAtEdge(commandType, error, meta, this.contextOf(meta), target)]);
      }
      throw error;
    }
    return this.execute(command, meta);
  }

  /** Decides and appends `command`; resolves with its events once this process has folded them. Throws ControlCommandError when refused. */
  execute(command: ControlCommand, meta: CommandMeta): Promise<readonly ControlEvent[]> {
    const run = this.queue.then(() => this.executeNow(command, meta));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async executeNow(command: ControlCommand, meta: CommandMeta): Promise<readonly ControlEvent[]> {
    await this.caughtUp(COMMAND_CATCH_UP_MS);
    const ctx = this.contextOf(meta);
    const decision = decide(command, this.state, ctx);
    const events = 'events' in decision ? decision.events : [];
    const audit = meta.audit ? [auditEvent(command, decision, meta, ctx)] : [];
    if ('error' in decision) {
      this.metrics.commands.inc({ command: command.type, outcome: 'refused' });
      await this.auditRefusal(audit);
      throw decision.error;
    }
    if (events.length + audit.length === 0) return events;
    for (const event of events) this.outcomes.set(event.eventId, undefined);
    try {
      await this.append([...events, ...audit]);
      await this.caughtUp(meta.catchUpMs ?? COMMAND_CATCH_UP_MS);
      // A revocation that another writer made first is the same outcome, not a conflict; so is the
      // same indicator or feed change another writer appended first (they are idempotent).
      const lost = events.filter((event) => this.outcomes.get(event.eventId) === false && event.type !== 'ApiKeyRevoked' && !INTEL_EVENT_TYPES.has(event.type));
      if (lost.length > 0 && (meta.onConflict ?? 'error') === 'error') {
        this.metrics.commands.inc({ command: command.type, outcome: 'conflict' });
        throw new ControlCommandError('conflict', 409, 'A concurrent command changed the same object first; read it again and retry', {
          aggregate_id: lost[0].aggregateId,
        });
      }
    } finally {
      for (const event of events) this.outcomes.delete(event.eventId);
    }
    this.metrics.commands.inc({ command: command.type, outcome: 'accepted' });
    return events;
  }

  /**
   * An audit entry of something the data path refused (an ingest admission block), not an admin
   * command: best effort, like a refusal's; the caller throttles how often it writes one.
   */
  async auditIngestRefusal(meta: CommandMeta, entry: { command: string; tenantId: string; target?: string; errorCode: string }): Promise<void> {
    const { tenantId, target, ...rest } = entry;
    await this.auditRefusal([audited(meta, this.contextOf(meta), { ...rest, tenantId, ...(target ? { target } : {}), outcome: 'refused' })]);
  }

  /** The audit of a refusal is best effort: the client gets the refusal it earned even when the log cannot take the entry now. */
  private async auditRefusal(events: readonly ControlEvent[]): Promise<void> {
    if (events.length === 0) return;
    try {
      await this.append(events);
    } catch (error) {
      this.metrics.auditFailures.inc();
      this.logger.warn(`could not append the audit entry of a refused command: ${(error as Error).message}`);
    }
  }

  private contextOf(meta: CommandMeta): DecideContext {
    return {
      now: this.clock(),
      actor: meta.actor,
      ...(meta.requestId ? { requestId: meta.requestId } : {}),
      newEventId: randomUUID,
      defaultTenant: this.config.defaultTenant,
    };
  }

  private async append(events: readonly ControlEvent[]): Promise<void> {
    await this.log.publish(
      TOPICS.control,
      events.map((event) => ({ key: event.aggregateId, value: JSON.stringify(event), headers: { [CONTROL_HEADERS.eventType]: event.type } })),
    );
  }

  private async fold(batch: RecordBatch): Promise<void> {
    for (const record of batch.records) {
      // A process that neither matches nor serves indicators skips their events unread.
      if (!(this.config.foldIntel ?? this.config.adminApi) && INTEL_EVENT_TYPES.has(record.headers[CONTROL_HEADERS.eventType] ?? '')) continue;
      let event: ControlEvent;
      try {
        event = upcastControlEvent(JSON.parse(record.value.toString('utf8')));
      } catch (error) {
        // Skipped, loudly, and failing closed: one unreadable document must not stop every process's
        // control plane, but the keys of the aggregate it names (a revocation this build cannot read?)
        // are refused from now on.
        this.metrics.unreadable.inc();
        const aggregate = record.key?.toString('utf8');
        if (aggregate) this.state.quarantine(aggregate);
        this.logger.error(
          `control event at ${batch.topic}-${batch.partition}@${record.offset} (${aggregate ?? 'no key'}) is unreadable and was skipped; its keys are refused: ${(error as Error).message}`,
        );
        continue;
      }
      const applied = this.state.apply(event);
      if (this.outcomes.has(event.eventId)) this.outcomes.set(event.eventId, applied);
      this.metrics.events.inc({ type: event.type, applied: String(applied) });
      // A feed's diff is thousands of indicator changes per event: let requests and record batches
      // run between two of them rather than after a whole million.
      if (event.type === 'FeedIndicatorsChanged') await new Promise((resolve) => setImmediate(resolve));
    }
  }
}

function decide(command: ControlCommand, state: ControlState, ctx: DecideContext): Decision {
  switch (command.type) {
    case 'CreateTenant':
    case 'UpdateTenant':
    case 'DeleteTenant':
      return decideTenant(command, state, ctx);
    case 'IssueApiKey':
    case 'RevokeApiKey':
    case 'RotateApiKey':
    case 'RecordApiKeyUse':
      return decideApiKey(command, state, ctx);
    case 'AddIndicator':
    case 'RemoveIndicator':
      return decideIndicator(command, state, ctx);
    case 'RegisterFeed':
    case 'DeleteFeed':
    case 'RecordFeedFetch':
      return decideFeed(command, state, ctx);
    case 'RegisterSource':
    case 'UpdateSource':
    case 'DeleteSource':
      return decideSource(command, state, ctx);
    case 'SetFeatureFlags':
      return decideFeatureFlags(command, ctx);
  }
}

function auditEvent(command: ControlCommand, decision: Decision, meta: CommandMeta, ctx: DecideContext): AdminCommandAudited {
  const tenantId = 'tenantId' in command ? command.tenantId : 'events' in decision ? tenantOf(decision.events[0]) : undefined;
  const target =
    'keyId' in command
      ? command.keyId
      : 'indicatorId' in command
        ? command.indicatorId
        : 'feedId' in command
          ? command.feedId
          : 'sourceId' in command
            ? command.sourceId
            : 'tenantId' in command
              ? command.tenantId
              : undefined;
  return audited(meta, ctx, {
    command: command.type,
    ...(tenantId ? { tenantId } : {}),
    ...(target ? { target } : {}),
    ...('error' in decision
      ? { outcome: 'refused' as const, errorCode: decision.error.code }
      : { outcome: 'accepted' as const, changedFields: changedFields(decision.events) }),
  });
}

/** The audit entry of a request refused before it became a command (its body did not validate). */
function refusedAtEdge(
  commandType: string,
  error: ControlCommandError,
  meta: CommandMeta,
  ctx: DecideContext,
  target: string | undefined,
): AdminCommandAudited {
  return audited(meta, ctx, { command: commandType, ...(target ? { target } : {}), outcome: 'refused', errorCode: error.code });
}

/** An audit event: its own aggregate (`audit:<event id>`), the actor, request id and client address of the command. */
function audited(meta: CommandMeta, ctx: DecideContext, data: Omit<AdminCommandAudited['data'], 'clientIp'>): AdminCommandAudited {
  const eventId = ctx.newEventId();
  return {
    type: 'AdminCommandAudited',
    schemaVersion: CONTROL_EVENT_SCHEMA_VERSION,
    eventId,
    aggregateId: `audit:${eventId}`,
    occurredAt: ctx.now.toISOString(),
    actor: meta.actor,
    ...(meta.requestId ? { requestId: meta.requestId } : {}),
    data: { ...data, ...(meta.clientIp ? { clientIp: meta.clientIp } : {}) },
  };
}

function tenantOf(event: ControlEvent | undefined): string | undefined {
  return event && 'tenantId' in event.data ? event.data.tenantId : undefined;
}

/** The data fields the accepted events set (never a secret's value: only that it changed). */
function changedFields(events: readonly ControlEvent[]): string[] {
  const fields = new Set<string>();
  for (const event of events) {
    // A flag change names the flags (their own names, as the API spells them).
    if (event.type === 'FeatureFlagsSet') {
      for (const name of Object.keys(event.data.flags)) fields.add(name);
      continue;
    }
    // In the API's spelling (retention_days), as a client sent them.
    for (const field of Object.keys(event.data))
      if (!['tenantId', 'keyId', 'indicatorId', 'feedId', 'sourceId', 'basedOn'].includes(field))
        fields.add(field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`));
  }
  return [...fields].sort();
}
