import type { ControlConfig } from '../control.config';

/** A control plane's config for specs: default tenant `default`, no seed keys, no limits, no admin API. */
export const TEST_CONTROL_CONFIG: ControlConfig = {
  seedKeys: [],
  defaultTenant: 'default',
  rateLimitPerMin: 0,
  authFailuresPerMin: 0,
  keyRotationGraceS: 3600,
  defaultRetentionDays: 7,
  adminApi: false,
};
