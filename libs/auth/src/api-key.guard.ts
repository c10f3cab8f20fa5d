import { CanActivate, ExecutionContext, Inject, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { PUBLIC_ROUTE } from '@telemetry/platform';
import type { TenantQuotas } from '@telemetry/contracts';
import { ApiKeyResolver, extractToken, hasScope, Principal, Scope } from './api-key';
import { SlidingWindowRateLimiter } from './rate-limiter';

/** The ApiKeyResolver the guard authenticates against (the control module provides it). */
export const API_KEY_STORE = Symbol('API_KEY_STORE');
/** A SlidingWindowRateLimiter of failed authentications per client address, or null for none. */
export const AUTH_FAILURE_LIMITER = Symbol('AUTH_FAILURE_LIMITER');
/** Whether a tenant exists (for X-Tenant-ID); the control module provides it. */
export const TENANT_DIRECTORY = Symbol('TENANT_DIRECTORY');
const REQUIRED_SCOPE = 'telemetry:required-scope';

export interface TenantDirectory {
  tenantExists(tenantId: string): boolean;
  /** The tenant's ingest quotas (undefined: an unknown tenant, or none set). */
  quotasOf(tenantId: string): TenantQuotas | undefined;
}

/** Marks a handler as needing a scope; every route without @Public needs a valid key. */
export const RequireScope = (scope: Scope): MethodDecorator & ClassDecorator => SetMetadata(REQUIRED_SCOPE, scope);

type AuthErrorCode = 'unauthorized' | 'forbidden' | 'tenant_not_found' | 'too_many_failed_authentications' | 'authentication_busy';
const STATUS: Record<AuthErrorCode, 401 | 403 | 404 | 429> = {
  unauthorized: 401,
  forbidden: 403,
  tenant_not_found: 404,
  too_many_failed_authentications: 429,
  authentication_busy: 429,
};

/** Thrown by the guard: a coded client error the HTTP exception filter answers as it is. */
export class AuthError extends Error {
  readonly status: 401 | 403 | 404 | 429;
  constructor(
    readonly code: AuthErrorCode,
    message: string,
    readonly details: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
    this.status = STATUS[code];
  }
}

export interface AuthenticatedRequest {
  headers: Record<string, string | string[] | undefined>;
  principal?: Principal;
  socket?: { remoteAddress?: string };
}

@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    @Inject(API_KEY_STORE) private readonly keys: ApiKeyResolver,
    @Inject(TENANT_DIRECTORY) private readonly tenants: TenantDirectory,
    @Inject(AUTH_FAILURE_LIMITER) private readonly failures: SlidingWindowRateLimiter | null,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets)) return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const token = extractToken(request.headers);
    if (!token) throw new AuthError('unauthorized', 'Missing API key: send Authorization: Bearer <key>');
    const client = request.socket?.remoteAddress ?? 'unknown';
    // A client that keeps presenting wrong keys is refused before its next guess is checked; a key
    // this process knows by id is still checked (its 256-bit secret is no guess), so clients sharing
    // an address with a guesser (behind a proxy) keep working.
    let counted = false;
    if (this.failures && !this.keys.isKnownIssuedKey(token)) {
      if (this.failures.peek(client) >= this.failures.limitPerWindow) {
        const retryAfter = this.failures.resetSeconds(client);
        throw new AuthError('too_many_failed_authentications', `Too many failed authentications from this address; retry after ${retryAfter} s`, {
          retry_after: retryAfter,
        });
      }
      // Counted before the check (given back when the key is good): parallel guesses cannot all slip under the limit.
      this.failures.take(client);
      counted = true;
    }
    const principal = await this.keys.authenticate(token);
    if (!principal) throw new AuthError('unauthorized', 'Invalid API key');
    if (counted) this.failures?.refund(client);
    const scope = this.reflector.getAllAndOverride<Scope | undefined>(REQUIRED_SCOPE, targets);
    if (scope && !hasScope(principal, scope)) throw new AuthError('forbidden', `This API key lacks the "${scope}" scope`, { required_scope: scope });
    request.principal = this.actingTenant(principal, request.headers['x-tenant-id']);
    return true;
  }

  /** An admin may act as another tenant with X-Tenant-ID; anyone else naming a tenant gets 403. */
  private actingTenant(principal: Principal, header: string | string[] | undefined): Principal {
    const requested = (Array.isArray(header) ? header[0] : header)?.trim();
    if (!requested) return principal;
    if (!principal.scopes.includes('admin')) {
      if (requested === principal.keyTenantId) return principal;
      throw new AuthError('forbidden', 'X-Tenant-ID override requires the admin scope');
    }
    if (!this.tenants.tenantExists(requested)) throw new AuthError('tenant_not_found', `No tenant "${requested}"`, { tenant_id: requested });
    return { ...principal, tenantId: requested, actingAsTenant: true };
  }
}
