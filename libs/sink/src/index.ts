export * from './exporter.port';
export * from './sink-batches';
export * from './sink-routing';
export * from './sink.runner';
export * from './splunk/splunk-hec.exporter';
export * from './sink-runner.service';
export * from './sink.module';
export * from './elastic/elastic-bulk.exporter';
