import { createHash, timingSafeEqual } from 'node:crypto';

export const SCOPES = ['ingest', 'read_metrics', 'read_requests', 'export', 'manage_indicators', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

export interface ApiKeyRecord {
  readonly keyId: string;
  readonly tenantId: string;
  /** SHA-256 hex of the token: keys are stored hashed, never in clear. */
  readonly hash: string;
  readonly scopes: readonly Scope[];
}

export interface Principal {
  readonly keyId: string;
  readonly tenantId: string;
  readonly scopes: readonly Scope[];
}

export function hashApiKey(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** `admin` satisfies every scope. */
export function hasScope(principal: Principal, scope: Scope): boolean {
  return principal.scopes.includes('admin') || principal.scopes.includes(scope);
}

/**
 * The key store the apps authenticate against. Seeded from API_KEY / TELEMETRY_SEED_KEYS now; the
 * event-sourced admin plane (issue: admin plane) folds ApiKeyIssued/Revoked events into it later.
 */
export class ApiKeyStore {
  private readonly byHash = new Map<string, ApiKeyRecord>();

  add(record: ApiKeyRecord): void {
    this.byHash.set(record.hash, record);
  }

  authenticate(token: string): Principal | undefined {
    const hash = hashApiKey(token);
    const record = this.byHash.get(hash);
    if (!record) return undefined;
    // The map lookup already matched; the constant-time compare keeps the check honest if the
    // store ever becomes a prefix or partial index.
    if (!timingSafeEqual(Buffer.from(record.hash, 'hex'), Buffer.from(hash, 'hex'))) return undefined;
    return { keyId: record.keyId, tenantId: record.tenantId, scopes: record.scopes };
  }

  get size(): number {
    return this.byHash.size;
  }

  /** Seed keys get every scope on the default tenant (they are the operator's bootstrap keys). */
  static seeded(tokens: readonly string[], tenantId: string): ApiKeyStore {
    const store = new ApiKeyStore();
    for (const token of tokens) {
      const hash = hashApiKey(token);
      store.add({ keyId: `seed-${hash.slice(0, 12)}`, tenantId, hash, scopes: [...SCOPES] });
    }
    return store;
  }
}

/** Takes the token from `Authorization: Bearer <k>`, a raw `Authorization: <k>`, or `X-API-Key`. */
export function extractToken(headers: Readonly<Record<string, string | string[] | undefined>>): string | undefined {
  const authorization = first(headers['authorization']);
  if (authorization) {
    const match = /^Bearer\s+(.+)$/i.exec(authorization.trim());
    return (match ? match[1] : authorization).trim() || undefined;
  }
  return first(headers['x-api-key'])?.trim() || undefined;
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
