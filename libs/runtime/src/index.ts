export * from './app.config';
export * from './bootstrap';
export * from './http-error.filter';
export * from './runtime.module';
export * from './runtime.tokens';
export * from './system.http.controller';
