export * from './feed.types';
export * from './parse-feed';
export * from './feed-fetcher';
