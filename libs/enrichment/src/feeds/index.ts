export * from './feed.types';
export * from './parse-feed';
