export * from './query.module';
export * from './enriched-events.consumer';
export * from './download.http.controller';
