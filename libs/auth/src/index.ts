export * from './api-key';
export * from './api-key.guard';
