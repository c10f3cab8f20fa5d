export * from './sql-store';
export * from './enriched-event.entity';
export * from './projection-offset.entity';
export * from './enriched-events.projection';
export * from './enriched-events.queries';
export * from './idempotency-key.entity';
export * from './idempotency.store';
