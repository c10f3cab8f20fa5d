import { DynamicModule, Module, Provider, Type } from '@nestjs/common';
import { EVENT_LOG, EventLog } from '@telemetry/event-log';
import { AppConfig, RUNTIME_CONFIG } from '@telemetry/runtime';
import { SinkMetrics } from './sink.metrics';
import { sinkRunnerOptions, SinkRunnerService } from './sink-runner.service';
import { createSinkConsumer } from './sink.consumer';
import { sinkConsumerPlan } from './sink.runner';
import { ElasticBulkExporter } from './elastic/elastic-bulk.exporter';
import { SplunkHecExporter } from './splunk/splunk-hec.exporter';

const SPLUNK_SINK = Symbol('SPLUNK_SINK');
const ELASTIC_SINK = Symbol('ELASTIC_SINK');

/** The sink roles: each configured destination gets its own runner and consumer groups. */
@Module({})
export class SinkModule {
  static forConfig(config: AppConfig): DynamicModule {
    const providers: Provider[] = [SinkMetrics];
    const controllers: Type<unknown>[] = [];
    const groupsOf = (sink: string) => sinkConsumerPlan(sinkRunnerOptions(sink, config));
    const splunk = config.sinks.splunk;
    if (splunk) {
      providers.push({
        provide: SPLUNK_SINK,
        inject: [EVENT_LOG, RUNTIME_CONFIG, SinkMetrics],
        useFactory: (log: EventLog, appConfig: AppConfig, metrics: SinkMetrics) =>
          new SinkRunnerService(
            'splunk',
            log,
            new SplunkHecExporter({
              url: splunk.url,
              token: splunk.token,
              index: splunk.index,
              source: splunk.source,
              sourcetype: splunk.sourcetype,
              gzip: splunk.gzip,
              ack: { enabled: splunk.ackEnabled, timeoutMs: splunk.ackTimeoutMs },
            }),
            appConfig,
            metrics,
          ),
      });
      controllers.push(createSinkConsumer('splunk', SPLUNK_SINK, groupsOf('splunk')));
    }
    const elastic = config.sinks.elastic;
    if (elastic) {
      providers.push({
        provide: ELASTIC_SINK,
        inject: [EVENT_LOG, RUNTIME_CONFIG, SinkMetrics],
        useFactory: (log: EventLog, appConfig: AppConfig, metrics: SinkMetrics) =>
          new SinkRunnerService('elastic', log, new ElasticBulkExporter(elastic), appConfig, metrics),
      });
      controllers.push(createSinkConsumer('elastic', ELASTIC_SINK, groupsOf('elastic')));
    }
    return { module: SinkModule, providers, controllers };
  }
}
