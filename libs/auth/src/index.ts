export * from './api-key';
export * from './api-key.guard';
export * from './rate-limiter';
export * from './rate-limit.guard';
export * from './auth.module';
export * from './auth.config';
