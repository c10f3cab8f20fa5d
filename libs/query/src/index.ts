export * from './query.module';
export * from './enriched-events.consumer';
export * from './download.http.controller';
export * from './dead-letters/dead-letters.module';
export * from './dead-letters/dead-letters.consumer';
export * from './dead-letters/dead-letter-replay.records';
export * from './projection.metrics';
