export * from './mmdb-writer';
export * from './geo-fixtures';
