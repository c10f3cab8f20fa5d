import { DynamicModule, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ApiKeyGuard, AUTH_FAILURE_LIMITER } from './api-key.guard';
import { AuthConfig } from './auth.config';
import { RateLimitGuard, RATE_LIMITER } from './rate-limit.guard';
import { SlidingWindowRateLimiter } from './rate-limiter';

/**
 * API-key authentication and the per-key rate limit, for the apps that serve protected routes.
 * Guards run in this order: authenticate, then count the request against its key. The keys
 * themselves (API_KEY_STORE, TENANT_DIRECTORY) come from the control plane's module.
 */
@Module({})
export class AuthModule {
  static forRoot(settings: AuthConfig): DynamicModule {
    return {
      module: AuthModule,
      global: true,
      providers: [
        { provide: RATE_LIMITER, useValue: settings.rateLimitPerMin > 0 ? new SlidingWindowRateLimiter(settings.rateLimitPerMin) : null },
        { provide: AUTH_FAILURE_LIMITER, useValue: settings.authFailuresPerMin > 0 ? new SlidingWindowRateLimiter(settings.authFailuresPerMin) : null },
        { provide: APP_GUARD, useClass: ApiKeyGuard },
        { provide: APP_GUARD, useClass: RateLimitGuard },
      ],
    };
  }
}
