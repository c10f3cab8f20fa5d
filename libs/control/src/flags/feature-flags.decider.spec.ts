import { ControlCommandError } from '../control-decision';
import { DEFAULT_FEATURE_FLAGS } from '../control.config';
import { testContext } from '../testing/decider-specification';
import { decideFeatureFlags, effectiveFlags, evolveFeatureFlags, NO_OVERRIDES } from './feature-flags.decider';
import { parseFlags } from './feature-flags.http.controller';

const ctx = () => testContext(new Date('2026-12-02T08:00:00.000Z'));

describe('the feature flags', () => {
  it('appends only the flags that change, and folds them over the environment’s values', () => {
    const decision = decideFeatureFlags(
      { type: 'SetFeatureFlags', flags: { ADMISSION_HTTP_ENABLED: true, ADMISSION_BLOCK_ON_EXCEED_DEFAULT: true }, current: DEFAULT_FEATURE_FLAGS },
      ctx(),
    );
    if (!('events' in decision)) throw decision.error;
    expect(decision.events).toEqual([
      expect.objectContaining({ type: 'FeatureFlagsSet', aggregateId: 'feature_flags', data: { flags: { ADMISSION_HTTP_ENABLED: true } } }),
    ]);
    const event = decision.events[0];
    if (event.type !== 'FeatureFlagsSet') throw new Error(event.type);
    const overrides = evolveFeatureFlags(NO_OVERRIDES, event);
    expect(effectiveFlags({ ...DEFAULT_FEATURE_FLAGS, HTTP_TRUST_XFF: true }, overrides)).toEqual({
      ...DEFAULT_FEATURE_FLAGS,
      HTTP_TRUST_XFF: true,
      ADMISSION_HTTP_ENABLED: true,
    });
    // An override wins over an environment that says otherwise.
    expect(effectiveFlags({ ...DEFAULT_FEATURE_FLAGS, ADMISSION_HTTP_ENABLED: false }, overrides).ADMISSION_HTTP_ENABLED).toBe(true);
  });

  it('appends nothing when every flag already has the asked value', () => {
    expect(decideFeatureFlags({ type: 'SetFeatureFlags', flags: { ADMISSION_LOG_ONLY: false }, current: DEFAULT_FEATURE_FLAGS }, ctx())).toEqual({
      events: [],
    });
  });

  it('refuses an unknown flag and a value that is not a boolean, naming each', () => {
    expect(() => parseFlags({ NOPE: true, ADMISSION_LOG_ONLY: 'yes' })).toThrow(ControlCommandError);
    try {
      parseFlags({ NOPE: true, ADMISSION_LOG_ONLY: 'yes' });
    } catch (error) {
      expect((error as ControlCommandError).status).toBe(422);
      expect((error as ControlCommandError).details.errors).toEqual([
        { field: 'NOPE', message: expect.stringContaining('unknown feature flag') },
        { field: 'ADMISSION_LOG_ONLY', message: 'must be true or false' },
      ]);
    }
    expect(() => parseFlags([])).toThrow(/JSON object/);
    expect(parseFlags({ HTTP_TRUST_XFF: true })).toEqual({ HTTP_TRUST_XFF: true });
  });
});
