export * from './config-reader';
export * from './runtime.config';
