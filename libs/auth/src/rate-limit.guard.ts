import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { Response } from 'express';
import { AuthenticatedRequest } from './api-key.guard';
import { SlidingWindowRateLimiter } from './rate-limiter';

export const RATE_LIMITER = Symbol('RATE_LIMITER');

/** Thrown when a key is over its limit; the HTTP filter answers 429 with `Retry-After`. */
export class RateLimitedError extends Error {
  readonly code = 'rate_limited';
  readonly status = 429;
  constructor(readonly details: { limit_per_min: number; retry_after: number }) {
    super(`Rate limit of ${details.limit_per_min} requests per minute exceeded; retry after ${details.retry_after} s`);
  }
}

/**
 * Requests per minute per API key (after authentication; public routes are not counted). Every
 * counted response carries the IETF RateLimit headers.
 */
@Injectable()
export class RateLimitGuard implements CanActivate {
  constructor(@Inject(RATE_LIMITER) private readonly limiter: SlidingWindowRateLimiter | null) {}

  canActivate(context: ExecutionContext): boolean {
    if (!this.limiter) return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    if (!request.principal) return true;
    const decision = this.limiter.take(request.principal.keyId);
    const response = context.switchToHttp().getResponse<Response>();
    response.setHeader('RateLimit-Limit', String(decision.limit));
    response.setHeader('RateLimit-Remaining', String(decision.remaining));
    response.setHeader('RateLimit-Reset', String(decision.resetSeconds));
    response.setHeader('RateLimit-Policy', `${decision.limit};w=60`);
    if (!decision.allowed) {
      response.setHeader('Retry-After', String(decision.resetSeconds));
      throw new RateLimitedError({ limit_per_min: decision.limit, retry_after: decision.resetSeconds });
    }
    return true;
  }
}
