export * from './wait-for';
export * from './mmdb';
export * from './services';
