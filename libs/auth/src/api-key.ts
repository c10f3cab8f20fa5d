import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { SCOPES, type Scope, type StoredSecret } from '@telemetry/contracts';

export { SCOPES, type Scope };

/** Who made a request: the key it authenticated with, and the tenant it acts for. */
export interface Principal {
  readonly keyId: string;
  /** The tenant the request acts for: the key's own, or the one an admin named in X-Tenant-ID. */
  readonly tenantId: string;
  /** The key's own tenant. */
  readonly keyTenantId: string;
  /** An admin named a tenant with X-Tenant-ID (even its own): it acts as that tenant only, as a tenant's key would. */
  readonly actingAsTenant?: boolean;
  readonly scopes: readonly Scope[];
}

/** `admin` satisfies every scope. */
export function hasScope(principal: Pick<Principal, 'scopes'>, scope: Scope): boolean {
  return principal.scopes.includes('admin') || principal.scopes.includes(scope);
}

/** What the guard authenticates against: the control plane's keys (event-sourced). */
export interface ApiKeyResolver {
  /** The principal of a valid, active key; undefined for any other token (unknown, revoked, expired). */
  authenticate(token: string): Promise<Principal | undefined>;
  /** The token names an issued key this process knows (checking it costs one salted hash and guesses nothing). */
  isKnownIssuedKey(token: string): boolean;
}

// --- tokens ---------------------------------------------------------------------------------------

/** Keys the API issues read `tk_<16 hex key id>.<43 base64url characters: 256 random bits>`. */
const ISSUED_TOKEN = /^(tk_[0-9a-f]{16})\.([A-Za-z0-9_-]{43})$/;

export interface IssuedToken {
  readonly keyId: string;
  readonly secret: string;
  readonly token: string;
}

export function generateIssuedToken(keyId = newKeyId()): IssuedToken {
  const secret = randomBytes(32).toString('base64url');
  return { keyId, secret, token: `${keyId}.${secret}` };
}

export function newKeyId(): string {
  return `tk_${randomBytes(8).toString('hex')}`;
}

/** The key id and secret of a token in the issued form; undefined for any other (e.g. a seed key). */
export function parseIssuedToken(token: string): { keyId: string; secret: string } | undefined {
  const match = ISSUED_TOKEN.exec(token);
  return match ? { keyId: match[1], secret: match[2] } : undefined;
}

// --- stored secrets -------------------------------------------------------------------------------

/** sha256(salt ‖ secret): for 256-bit random secrets a fast salted hash is enough (nothing to guess). */
export function saltedSecret(secret: string): StoredSecret {
  const salt = randomBytes(16);
  return { alg: 'sha256-salted', salt: salt.toString('base64'), digest: sha256(salt, secret).toString('base64') };
}

/**
 * scrypt parameters for operator-chosen keys (API_KEY, TELEMETRY_SEED_KEYS): ~45 ms and 16 MiB per
 * derivation on this project's 2-core reference box, paid once per token per process (then cached).
 */
const SCRYPT = { N: 16_384, r: 8, p: 1, maxmem: 64 * 1024 * 1024 } as const;

/**
 * A seed key's id and stored secret, both derived from the token with scrypt under a per-tenant
 * salt, so the same configured key seeds the same key id in every replica and at every start
 * (idempotent), and neither the id nor the digest lets anyone test guesses cheaply.
 */
export async function seedSecret(token: string, tenantId: string): Promise<{ keyId: string; secret: StoredSecret }> {
  const salt = Buffer.from(`telemetry-api seed key/${tenantId}`, 'utf8');
  const digest = await scryptAsync(token, salt);
  return {
    keyId: `seed_${createHash('sha256').update(digest).digest('hex').slice(0, 16)}`,
    secret: { alg: 'scrypt', salt: salt.toString('base64'), digest: digest.toString('base64') },
  };
}

/** Whether `secret` matches what was stored, compared in constant time. */
export async function verifySecret(stored: StoredSecret, secret: string): Promise<boolean> {
  const salt = Buffer.from(stored.salt, 'base64');
  const expected = Buffer.from(stored.digest, 'base64');
  const actual = stored.alg === 'scrypt' ? await scryptAsync(secret, salt) : sha256(salt, secret);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

function sha256(salt: Buffer, secret: string): Buffer {
  return createHash('sha256').update(salt).update(secret, 'utf8').digest();
}

function scryptAsync(secret: string, salt: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => scrypt(secret, salt, 32, SCRYPT, (error, key) => (error ? reject(error) : resolve(key))));
}

/** A fingerprint of a presented token for in-memory caches (never stored, never logged). */
export function tokenFingerprint(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('base64');
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
