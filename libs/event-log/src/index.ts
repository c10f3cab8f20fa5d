export * from './event-log.port';
export * from './kafka/kafka.event-log';
export * from './embedded/embedded.event-log';
