import { DynamicModule, Module, Provider, Type } from '@nestjs/common';
import { EVENT_LOG, EventLog } from '@telemetry/event-log';
import { PlatformConfig } from '@telemetry/platform';
import { SinkMetrics } from './sink.metrics';
import { SinksConfig } from './sink.config';
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
  static forRoot(sinks: SinksConfig, platform: PlatformConfig): DynamicModule {
    const providers: Provider[] = [SinkMetrics];
    const controllers: Type<unknown>[] = [];
    const optionsOf = (sink: string) => sinkRunnerOptions(sink, sinks, platform);
    const splunk = sinks.splunk;
    if (splunk) {
      providers.push({
        provide: SPLUNK_SINK,
        inject: [EVENT_LOG, SinkMetrics],
        useFactory: (log: EventLog, metrics: SinkMetrics) =>
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
            optionsOf('splunk'),
            metrics,
          ),
      });
      controllers.push(createSinkConsumer('splunk', SPLUNK_SINK, sinkConsumerPlan(optionsOf('splunk'))));
    }
    const elastic = sinks.elastic;
    if (elastic) {
      providers.push({
        provide: ELASTIC_SINK,
        inject: [EVENT_LOG, SinkMetrics],
        useFactory: (log: EventLog, metrics: SinkMetrics) =>
          new SinkRunnerService('elastic', log, new ElasticBulkExporter(elastic), optionsOf('elastic'), metrics),
      });
      controllers.push(createSinkConsumer('elastic', ELASTIC_SINK, sinkConsumerPlan(optionsOf('elastic'))));
    }
    return { module: SinkModule, providers, controllers };
  }
}
