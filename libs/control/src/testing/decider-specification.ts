/// <reference types="jest" />
import type { ControlEvent } from '@telemetry/contracts';
import { ControlCommandError, DecideContext, Decision } from '../control-decision';
import { ControlState } from '../control-state';

/** A clock and counters for deciders under test: every event id is predictable. */
export function testContext(now: Date, overrides: Partial<DecideContext> = {}): DecideContext {
  let next = 0;
  return {
    now,
    actor: { keyId: 'tk_00000000000000ad', tenantId: 'default' },
    requestId: 'req-1',
    newEventId: () => `event-${(next += 1)}`,
    defaultTenant: 'default',
    ...overrides,
  };
}

/**
 * given(events) → when(command) → then(events | error), as emmett's DeciderSpecification reads:
 * the state is the fold of the given events, the decider runs against it, and the answer is
 * compared with what was expected.
 */
export function given<C>(decide: (command: C, state: ControlState, ctx: DecideContext) => Decision, events: readonly ControlEvent[]) {
  const state = new ControlState();
  for (const event of events) state.apply(event);
  return {
    state,
    when(command: C, ctx: DecideContext) {
      const decision = decide(command, state, ctx);
      return {
        thenEvents(expected: ReadonlyArray<Partial<ControlEvent> & { type: ControlEvent['type'] }>): readonly ControlEvent[] {
          if ('error' in decision) throw new Error(`expected events, got ${decision.error.code}: ${decision.error.message}`);
          expect(decision.events).toEqual(expected.map((event) => expect.objectContaining(event)));
          return decision.events;
        },
        thenError(code: string, status?: number): ControlCommandError {
          if (!('error' in decision)) throw new Error(`expected ${code}, got ${decision.events.length} event(s)`);
          expect(decision.error.code).toBe(code);
          if (status !== undefined) expect(decision.error.status).toBe(status);
          return decision.error;
        },
      };
    },
  };
}
