export * from './enricher.module';
export * from './ingress.consumer';
export * from './ingress-batch.processor';
export * from './enrichment.providers';
export * from './enricher.metrics';
export * from './enricher.config';
export * from './geo';
