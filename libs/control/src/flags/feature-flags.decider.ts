import { FEATURE_FLAGS, FEATURE_FLAGS_AGGREGATE_ID, type FeatureFlag, type FeatureFlags, type FeatureFlagsSet } from '@telemetry/contracts';
import { accept, DecideContext, Decision, envelope } from '../control-decision';

// --- State ----------------------------------------------------------------------------------------

/** The flags set through the API (they win over a process's environment), and when each last changed. */
export interface FeatureFlagOverrides {
  readonly values: Readonly<Partial<Record<FeatureFlag, boolean>>>;
  readonly updatedAt?: string;
}

export const NO_OVERRIDES: FeatureFlagOverrides = { values: {} };

/** What a process applies: its environment's values, overridden by every flag set through the API. */
export function effectiveFlags(initial: FeatureFlags, overrides: FeatureFlagOverrides): FeatureFlags {
  const flags = { ...initial };
  for (const name of FEATURE_FLAGS) {
    const value = overrides.values[name];
    if (value !== undefined) flags[name] = value;
  }
  return flags;
}

// --- Commands -------------------------------------------------------------------------------------

export type FeatureFlagCommand = {
  readonly type: 'SetFeatureFlags';
  readonly flags: Readonly<Partial<Record<FeatureFlag, boolean>>>;
  /** The deciding process's effective values: a flag set to what it already is appends nothing. */
  readonly current: FeatureFlags;
};

// --- evolve ---------------------------------------------------------------------------------------

export function evolveFeatureFlags(state: FeatureFlagOverrides, event: FeatureFlagsSet): FeatureFlagOverrides {
  return { values: { ...state.values, ...event.data.flags }, updatedAt: event.occurredAt };
}

// --- decide ---------------------------------------------------------------------------------------

export function decideFeatureFlags(command: FeatureFlagCommand, ctx: DecideContext): Decision {
  const changed: Partial<Record<FeatureFlag, boolean>> = {};
  for (const name of FEATURE_FLAGS) {
    const value = command.flags[name];
    if (value !== undefined && value !== command.current[name]) changed[name] = value;
  }
  if (Object.keys(changed).length === 0) return accept();
  return accept({ type: 'FeatureFlagsSet', ...envelope(ctx, FEATURE_FLAGS_AGGREGATE_ID), data: { flags: changed } });
}
