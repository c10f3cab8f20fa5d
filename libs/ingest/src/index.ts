export * from './ingest-error';
export * from './ingest-limits';
export * from './body-reader';
export * from './batch-parser';
export * from './record-validator';
export * from './ingest.service';
export * from './ingest.module';
export * from './ingest.tokens';
