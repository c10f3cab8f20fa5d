export * from './query.module';
export * from './projections/enriched-events.consumer';
export * from './download/download.http.controller';
export * from './dead-letters/dead-letters.module';
export * from './dead-letters/dead-letters.consumer';
export * from './dead-letters/dead-letter-replay.records';
export * from './projections/projection.metrics';
