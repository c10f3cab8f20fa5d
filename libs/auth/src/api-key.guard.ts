import { CanActivate, ExecutionContext, Inject, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { PUBLIC_ROUTE } from '@telemetry/platform';
import { ApiKeyStore, extractToken, hasScope, Principal, Scope } from './api-key';

export const API_KEY_STORE = Symbol('API_KEY_STORE');
const REQUIRED_SCOPE = 'telemetry:required-scope';

/** Marks a handler as needing a scope; every route without @Public needs a valid key. */
export const RequireScope = (scope: Scope): MethodDecorator & ClassDecorator => SetMetadata(REQUIRED_SCOPE, scope);

/** Thrown by the guard: a coded client error (401/403) the HTTP exception filter answers as it is. */
export class AuthError extends Error {
  readonly status: 401 | 403;
  readonly details: Readonly<Record<string, unknown>> = {};
  constructor(
    readonly code: 'unauthorized' | 'forbidden',
    message: string,
  ) {
    super(message);
    this.status = code === 'unauthorized' ? 401 : 403;
  }
}

export interface AuthenticatedRequest {
  headers: Record<string, string | string[] | undefined>;
  principal?: Principal;
}

@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    @Inject(API_KEY_STORE) private readonly keys: ApiKeyStore,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets)) return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const token = extractToken(request.headers);
    if (!token) throw new AuthError('unauthorized', 'Missing API key: send Authorization: Bearer <key>');
    const principal = this.keys.authenticate(token);
    if (!principal) throw new AuthError('unauthorized', 'Invalid API key');
    const scope = this.reflector.getAllAndOverride<Scope | undefined>(REQUIRED_SCOPE, targets);
    if (scope && !hasScope(principal, scope)) throw new AuthError('forbidden', `This API key lacks the "${scope}" scope`);
    request.principal = principal;
    return true;
  }
}
