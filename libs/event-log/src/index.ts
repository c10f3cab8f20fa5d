export * from './event-log.port';
export * from './kafka/kafka.event-log';
export * from './embedded/embedded.event-log';
export * from './in-memory/in-memory.event-log';
