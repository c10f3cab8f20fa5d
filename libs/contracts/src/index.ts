export * from './topics';
export * from './headers';
export * from './ingress-records';
export * from './flows';
export * from './enriched-flow';
export * from './dead-letter';
export * from './field-spellings';
export * from './sinks';
