export * from './wait-for';
export * from './mmdb';
export * from './services';
export * from './typescript-process';
export * from './kafka-broker';
export * from './fake-hec/fake-hec.server';
export * from './seeded-rng';
export * from './event-log.probes';
