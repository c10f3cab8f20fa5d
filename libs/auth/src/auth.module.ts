import { DynamicModule, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ApiKeyStore } from './api-key';
import { API_KEY_STORE, ApiKeyGuard } from './api-key.guard';
import { RATE_LIMITER, RateLimitGuard } from './rate-limit.guard';
import { SlidingWindowRateLimiter } from './rate-limiter';

export interface AuthSettings {
  /** The operator's keys (API_KEY, TELEMETRY_SEED_KEYS), every scope on the default tenant. */
  readonly apiKeys: readonly string[];
  readonly defaultTenant: string;
  /** Requests per minute per API key (per process); 0 turns the limit off. */
  readonly rateLimitPerMin: number;
}

/**
 * API-key authentication and the per-key rate limit, for the apps that serve protected routes.
 * Guards run in this order: authenticate, then count the request against its key.
 */
@Module({})
export class AuthModule {
  static forRoot(settings: AuthSettings): DynamicModule {
    return {
      module: AuthModule,
      global: true,
      providers: [
        { provide: API_KEY_STORE, useFactory: () => ApiKeyStore.seeded(settings.apiKeys, settings.defaultTenant) },
        { provide: RATE_LIMITER, useValue: settings.rateLimitPerMin > 0 ? new SlidingWindowRateLimiter(settings.rateLimitPerMin) : null },
        { provide: APP_GUARD, useClass: ApiKeyGuard },
        { provide: APP_GUARD, useClass: RateLimitGuard },
      ],
      exports: [API_KEY_STORE],
    };
  }
}
