import { Body, Controller, Get, Inject, Injectable, Patch, Req } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiBody,
  ApiForbiddenResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnauthorizedResponse,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import { AuthenticatedRequest, RequireScope } from '@telemetry/auth';
import { FEATURE_FLAGS, type FeatureFlag, type FeatureFlags } from '@telemetry/contracts';
import { ControlCommandError } from '../control-decision';
import { CONTROL_CONFIG, ControlConfig, DEFAULT_FEATURE_FLAGS } from '../control.config';
import { ControlPlaneService } from '../control-plane.service';
import { AdminErrorDto, commandMeta } from '../admin/admin.views';
import { effectiveFlags } from './feature-flags.decider';

/** The feature flags this process applies: its environment's initial values, overridden by every flag set through the API. */
@Injectable()
export class FeatureFlagsService {
  constructor(
    private readonly control: ControlPlaneService,
    @Inject(CONTROL_CONFIG) private readonly config: ControlConfig,
  ) {}

  current(): FeatureFlags {
    return effectiveFlags(this.config.featureFlagDefaults ?? DEFAULT_FEATURE_FLAGS, this.control.state.featureFlagOverrides);
  }

  async set(body: unknown, request: AuthenticatedRequest): Promise<FeatureFlags> {
    await this.control.executeRequest('SetFeatureFlags', commandMeta(request), () => ({
      type: 'SetFeatureFlags',
      flags: parseFlags(body),
      current: this.current(),
    }));
    return this.current();
  }
}

/** `{FLAG: boolean, …}`: an unknown flag or a value that is not a boolean is 422 (the original ignored unknown keys). */
export function parseFlags(body: unknown): Partial<Record<FeatureFlag, boolean>> {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new ControlCommandError('invalid_body', 400, 'The request body must be a JSON object of flags');
  const errors: Array<{ field: string; message: string }> = [];
  const flags: Partial<Record<FeatureFlag, boolean>> = {};
  for (const [name, value] of Object.entries(body as Record<string, unknown>)) {
    if (!(FEATURE_FLAGS as readonly string[]).includes(name))
      errors.push({ field: name, message: `unknown feature flag; expected one of ${FEATURE_FLAGS.join(', ')}` });
    else if (typeof value !== 'boolean') errors.push({ field: name, message: 'must be true or false' });
    else flags[name as FeatureFlag] = value;
  }
  if (errors.length > 0) {
    throw new ControlCommandError(
      'validation_failed',
      422,
      `The request body has ${errors.length} problem(s): ${errors.map((e) => `${e.field} ${e.message}`).join('; ')}`,
      { errors },
    );
  }
  return flags;
}

const FLAGS_EXAMPLE: FeatureFlags = { ...DEFAULT_FEATURE_FLAGS, ADMISSION_HTTP_ENABLED: true };

/** GET/PATCH /v1/admin/featureflags, with the original's flag names; a change is audited and applies in every process as it folds the control plane. */
@ApiTags('admin: feature flags')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ description: 'Missing or invalid API key', type: AdminErrorDto })
@ApiForbiddenResponse({ description: 'The key lacks the admin scope', type: AdminErrorDto })
@RequireScope('admin')
@Controller('v1/admin/featureflags')
export class FeatureFlagsHttpController {
  constructor(private readonly flags: FeatureFlagsService) {}

  @Get()
  @ApiOperation({
    summary: 'The feature flags in effect',
    description: 'Each process starts from its environment (the variables of the same names); a flag set through PATCH wins everywhere from then on.',
  })
  @ApiOkResponse({ schema: { example: FLAGS_EXAMPLE } })
  get(): FeatureFlags {
    return this.flags.current();
  }

  @Patch()
  @ApiOperation({
    summary: 'Set feature flags',
    description:
      'Persisted as a control event, audited, and applied by every process within about a second. Answers the full map. A flag set to its current value changes nothing.',
  })
  @ApiBody({ schema: { example: { ADMISSION_HTTP_ENABLED: true, ADMISSION_LOG_ONLY: true } } })
  @ApiOkResponse({ schema: { example: FLAGS_EXAMPLE } })
  @ApiUnprocessableEntityResponse({ description: '`validation_failed`: an unknown flag, or a value that is not a boolean', type: AdminErrorDto })
  set(@Body() body: unknown, @Req() request: AuthenticatedRequest): Promise<FeatureFlags> {
    return this.flags.set(body, request);
  }
}
