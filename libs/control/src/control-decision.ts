import { CONTROL_EVENT_SCHEMA_VERSION, type ControlActor, type ControlEvent } from '@telemetry/contracts';

/** A refused command: a stable code, the HTTP status class the API answers with, and what was wrong. */
export class ControlCommandError extends Error {
  constructor(
    readonly code: string,
    readonly status: 400 | 403 | 404 | 409 | 422,
    message: string,
    readonly details: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
    this.name = 'ControlCommandError';
  }
}

/** What a decider answers: the events to append (none: nothing to change), or why not. */
export type Decision = { readonly events: readonly ControlEvent[] } | { readonly error: ControlCommandError };

/** Everything a decider needs besides the command and the state: passed in, so deciders stay pure. */
export interface DecideContext {
  readonly now: Date;
  readonly actor: ControlActor;
  readonly requestId?: string;
  /** A fresh, unique event id per call. */
  readonly newEventId: () => string;
  /** The deployment's default tenant (it cannot be deleted: the seed keys belong to it). */
  readonly defaultTenant: string;
}

export const accept = (...events: ControlEvent[]): Decision => ({ events });
export const refuse = (...args: ConstructorParameters<typeof ControlCommandError>): Decision => ({ error: new ControlCommandError(...args) });

/** The envelope fields every event of a decision shares. */
export function envelope(
  ctx: DecideContext,
  aggregateId: string,
): { schemaVersion: number; eventId: string; aggregateId: string; occurredAt: string; actor: ControlActor; requestId?: string } {
  return {
    schemaVersion: CONTROL_EVENT_SCHEMA_VERSION,
    eventId: ctx.newEventId(),
    aggregateId,
    occurredAt: ctx.now.toISOString(),
    actor: ctx.actor,
    ...(ctx.requestId ? { requestId: ctx.requestId } : {}),
  };
}
