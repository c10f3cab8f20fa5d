export * from './wait-for';
export * from './mmdb';
export * from './services';
export * from './typescript-process';
export * from './kafka-broker';
