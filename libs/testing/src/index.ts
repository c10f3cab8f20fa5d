export * from './wait-for';
export * from './mmdb';
