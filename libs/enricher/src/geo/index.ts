export * from './geo.module';
export * from './geo.config';
export * from './geo.tokens';
export * from './geo-database';
export * from './geo-lifecycle.service';
export * from './live.geo-lookup';
export * from './geo.errors';
export * from './jobs/job-registry';
