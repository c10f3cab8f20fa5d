import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  ApiKeyResolver,
  AuthError,
  MIN_CONFIGURED_KEY_LENGTH,
  parseIssuedToken,
  Principal,
  seedSecret,
  TenantDirectory,
  tokenFingerprint,
  verifySecret,
} from '@telemetry/auth';
import { KEY_LAST_USED_GRANULARITY_MS, type TenantQuotas } from '@telemetry/contracts';
import { CLOCK } from '@telemetry/platform';
import { timingSafeEqual } from 'node:crypto';
import { CONTROL_CONFIG, ControlConfig } from '../control.config';
import { ControlMetrics } from '../control.metrics';
import { ControlPlaneService } from '../control-plane.service';
import { ApiKey, keyIsActive } from './api-key.decider';

/** How long a request with a key this process has not folded yet waits for the control topic (read-your-writes). */
const UNKNOWN_KEY_WAIT_MS = 1_000;
const SEED_CACHE_MAX = 10_000;

/**
 * Authenticates API keys against the folded control plane. Issued keys (`tk_<id>.<secret>`) are
 * found by id and checked with their salted hash; a key this process has not seen yet waits up to a
 * second for the control topic, so a key created through any process works on the next request. A
 * bare token is a configured seed key: its scrypt-derived id is computed once per token per process.
 */
@Injectable()
export class ControlKeyResolver implements ApiKeyResolver, TenantDirectory {
  private readonly logger = new Logger('auth');
  /** Token fingerprint → the seed key id it derives to (whether or not such a key exists). */
  private readonly seedIds = new Map<string, { keyId: string; digest: Buffer }>();
  /** Key id → when this process last reported its use. */
  private readonly reportedUse = new Map<string, number>();
  /** scrypt runs on libuv's small thread pool (shared with zlib and fs): at most two at once, a short queue, then 429 authentication_busy. */
  private readonly derivations = new BoundedConcurrency(2, 16);

  constructor(
    private readonly control: ControlPlaneService,
    private readonly metrics: ControlMetrics,
    @Inject(CONTROL_CONFIG) private readonly config: ControlConfig,
    @Inject(CLOCK) private readonly clock: () => Date,
  ) {}

  tenantExists(tenantId: string): boolean {
    return this.control.state.liveTenant(tenantId) !== undefined;
  }

  quotasOf(tenantId: string): TenantQuotas | undefined {
    return this.control.state.liveTenant(tenantId)?.quotas;
  }

  isKnownIssuedKey(token: string): boolean {
    const issued = parseIssuedToken(token);
    return issued !== undefined && this.control.state.key(issued.keyId) !== undefined;
  }

  async authenticate(token: string): Promise<Principal | undefined> {
    const issued = parseIssuedToken(token);
    const key = issued ? await this.issuedKey(issued.keyId, issued.secret) : await this.seedKey(token);
    if (!key) return undefined;
    const now = this.clock();
    if (!keyIsActive(key, now)) return this.refused(key.revokedAt ? 'revoked' : 'expired');
    if (this.control.state.isQuarantined(key)) return this.refused('quarantined');
    if (!this.control.state.liveTenant(key.tenantId)) return this.refused('tenant_deleted');
    this.metrics.authentications.inc({ outcome: 'ok' });
    this.reportUse(key, now);
    return { keyId: key.keyId, tenantId: key.tenantId, keyTenantId: key.tenantId, scopes: key.scopes };
  }

  private async issuedKey(keyId: string, secret: string): Promise<ApiKey | undefined> {
    let key = this.control.state.key(keyId);
    if (!key) {
      await this.control.caughtUp(UNKNOWN_KEY_WAIT_MS).catch(() => undefined);
      key = this.control.state.key(keyId);
    }
    if (!key) return this.refused('unknown');
    const now = this.clock().getTime();
    for (const stored of key.secrets) {
      if (stored.validUntil !== undefined && Date.parse(stored.validUntil) <= now) continue;
      if (await verifySecret(stored, secret)) return key;
    }
    return this.refused('bad_secret');
  }

  private async seedKey(token: string): Promise<ApiKey | undefined> {
    // Configured keys have at least 16 characters: anything shorter is no seed key, and costs no scrypt.
    if (token.length < MIN_CONFIGURED_KEY_LENGTH || token.length > 4096) return this.refused('unknown');
    const fingerprint = tokenFingerprint(token);
    let seed = this.seedIds.get(fingerprint);
    if (!seed) {
      const derived = await this.derivations.run(() => seedSecret(token, this.config.defaultTenant));
      seed = { keyId: derived.keyId, digest: Buffer.from(derived.secret.digest, 'base64') };
      // Only tokens that name a seed key are remembered: a flood of made-up tokens cannot evict them.
      if (this.control.state.key(seed.keyId)?.origin === 'seed') {
        if (this.seedIds.size >= SEED_CACHE_MAX) this.seedIds.clear();
        this.seedIds.set(fingerprint, seed);
      }
    }
    const key = this.control.state.key(seed.keyId);
    const stored = key?.secrets[0];
    if (!key || !stored || key.origin !== 'seed') return this.refused('unknown');
    const expected = Buffer.from(stored.digest, 'base64');
    return expected.length === seed.digest.length && timingSafeEqual(expected, seed.digest) ? key : this.refused('bad_secret');
  }

  private refused(outcome: 'unknown' | 'revoked' | 'expired' | 'bad_secret' | 'tenant_deleted' | 'quarantined'): undefined {
    this.metrics.authentications.inc({ outcome });
    return undefined;
  }

  /** "Last used" for GET /v1/admin/keys: at most one event per key per granularity step per process. */
  private reportUse(key: ApiKey, now: Date): void {
    const last = Math.max(this.reportedUse.get(key.keyId) ?? 0, key.lastUsedAt ? Date.parse(key.lastUsedAt) : 0);
    if (now.getTime() - last < KEY_LAST_USED_GRANULARITY_MS) return;
    this.reportedUse.set(key.keyId, now.getTime());
    this.control
      .execute(
        { type: 'RecordApiKeyUse', keyId: key.keyId, usedAt: now },
        { actor: { keyId: key.keyId, tenantId: key.tenantId }, audit: false, onConflict: 'ignore' },
      )
      .catch((error: unknown) => this.logger.warn(`could not record the use of key ${key.keyId}: ${(error as Error).message}`));
  }
}

/** Runs at most `limit` tasks at once with at most `queued` waiting; past that it refuses with 429 `authentication_busy`. */
class BoundedConcurrency {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    private readonly limit: number,
    private readonly queued: number,
  ) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.limit) {
      if (this.waiting.length >= this.queued) {
        throw new AuthError('authentication_busy', 'Too many configured-key checks in progress; retry shortly', { retry_after: 1 });
      }
      // The slot is handed over by the task that ends (running stays as it is).
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.running += 1;
    }
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running -= 1;
    }
  }
}
