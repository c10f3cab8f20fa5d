import { DynamicModule, Logger, Module, OnApplicationBootstrap } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ApiKeyStore } from './api-key';
import { AuthConfig, EMBEDDED_DEFAULT_KEY } from './auth.config';
import { API_KEY_STORE, ApiKeyGuard } from './api-key.guard';
import { RATE_LIMITER, RateLimitGuard } from './rate-limit.guard';
import { SlidingWindowRateLimiter } from './rate-limiter';

/** Says at start, where an operator sees it, that the well-known default key is active. */
class DefaultKeyWarning implements OnApplicationBootstrap {
  constructor(private readonly config: AuthConfig) {}

  onApplicationBootstrap(): void {
    if (this.config.usingDefaultKey) {
      new Logger('auth').warn(
        `No API_KEY or TELEMETRY_SEED_KEYS set: the embedded default key "${EMBEDDED_DEFAULT_KEY}" is active. Set API_KEY before exposing this port.`,
      );
    }
  }
}

/**
 * API-key authentication and the per-key rate limit, for the apps that serve protected routes.
 * Guards run in this order: authenticate, then count the request against its key.
 */
@Module({})
export class AuthModule {
  static forRoot(settings: AuthConfig): DynamicModule {
    return {
      module: AuthModule,
      global: true,
      providers: [
        { provide: API_KEY_STORE, useFactory: () => ApiKeyStore.seeded(settings.apiKeys, settings.defaultTenant) },
        { provide: RATE_LIMITER, useValue: settings.rateLimitPerMin > 0 ? new SlidingWindowRateLimiter(settings.rateLimitPerMin) : null },
        { provide: APP_GUARD, useClass: ApiKeyGuard },
        { provide: APP_GUARD, useClass: RateLimitGuard },
        { provide: DefaultKeyWarning, useValue: new DefaultKeyWarning(settings) },
      ],
      exports: [API_KEY_STORE],
    };
  }
}
