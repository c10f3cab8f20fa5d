import * as fs from 'node:fs';
import * as path from 'node:path';
import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { generateIssuedToken, saltedSecret, seedSecret } from '@telemetry/auth';
import { CONTROL_CONFIG, ControlConfig } from './control.config';
import { keyIsActive } from './api-keys/api-key.decider';
import { ControlCommandError } from './control-decision';
import { ControlPlaneService } from './control-plane.service';

/**
 * What a process writes to the control plane when it starts, once the state is caught up: the
 * default tenant, the configured seed keys (API_KEY, TELEMETRY_SEED_KEYS) as admin keys of it, and,
 * in the embedded all-in-one with no key configured, one generated admin key on the very first
 * start. Every step is idempotent across restarts and across replicas starting at once.
 */
@Injectable()
export class ControlSeeding implements OnApplicationBootstrap {
  private readonly logger = new Logger('control-plane');

  constructor(
    private readonly control: ControlPlaneService,
    @Inject(CONTROL_CONFIG) private readonly config: ControlConfig,
  ) {}

  /** After every module's init (the control plane caught up in its own), before the HTTP server listens. */
  async onApplicationBootstrap(): Promise<void> {
    const tenantId = this.config.defaultTenant;
    const meta = { actor: { system: 'seed' as const }, audit: false, onConflict: 'ignore' as const };
    if (!this.control.state.tenant(tenantId)) {
      try {
        await this.control.execute({ type: 'CreateTenant', tenantId, name: tenantId, retentionDays: this.config.defaultRetentionDays, quotas: {} }, meta);
      } catch (error) {
        // A replica starting at the same time created it between our look and our decision: the same outcome.
        if (!(error instanceof ControlCommandError && error.code === 'tenant_exists')) throw error;
      }
    }
    const configured = new Set<string>();
    for (const token of this.config.seedKeys) {
      const { keyId, secret } = await seedSecret(token, tenantId);
      configured.add(keyId);
      if (this.control.state.key(keyId)) continue;
      await this.control.execute({ type: 'IssueApiKey', keyId, tenantId, scopes: ['admin'], name: 'seed key', secret, origin: 'seed' }, meta);
      this.logger.log(`seeded admin key ${keyId} of tenant "${tenantId}" from the configuration`);
    }
    // A configured key taken out of the configuration (a leaked API_KEY replaced) stops working everywhere.
    const now = new Date();
    for (const key of this.control.state.keysOf(tenantId)) {
      if (key.origin !== 'seed' || configured.has(key.keyId) || !keyIsActive(key, now)) continue;
      try {
        await this.control.execute({ type: 'RevokeApiKey', keyId: key.keyId }, meta);
        this.logger.warn(`revoked seed key ${key.keyId}: it is no longer in API_KEY / TELEMETRY_SEED_KEYS`);
      } catch (error) {
        if (!(error instanceof ControlCommandError && error.code === 'key_revoked')) throw error;
      }
    }
    if (this.config.generatedKeyFile) await this.generateFirstKey(this.config.generatedKeyFile, tenantId);
  }

  /** The embedded first start with no key configured: one admin key, printed once and kept in a file only the user can read. */
  private async generateFirstKey(file: string, tenantId: string): Promise<void> {
    if (this.control.state.listKeys().length > 0) {
      if (fs.existsSync(file)) this.logger.log(`admin API key: see ${file} (generated at the first start)`);
      return;
    }
    const issued = generateIssuedToken();
    fs.mkdirSync(path.dirname(file), { recursive: true });
    // Written before the event, so a crash in between leaves a key file, never an unknown key.
    fs.writeFileSync(file, `${issued.token}\n`, { mode: 0o600 });
    fs.chmodSync(file, 0o600);
    await this.control.execute(
      {
        type: 'IssueApiKey',
        keyId: issued.keyId,
        tenantId,
        scopes: ['admin'],
        name: 'generated at first start',
        secret: saltedSecret(issued.secret),
        origin: 'generated',
      },
      { actor: { system: 'generated' }, audit: false, onConflict: 'ignore' },
    );
    this.logger.warn(
      `No API_KEY or TELEMETRY_SEED_KEYS configured: generated an admin API key for tenant "${tenantId}". It is shown once here and kept in ${file} (mode 600):\n\n    ${issued.token}\n`,
    );
  }
}
