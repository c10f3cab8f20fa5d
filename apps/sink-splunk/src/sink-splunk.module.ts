import { DynamicModule, Module } from '@nestjs/common';
import { HealthModule, PlatformModule } from '@telemetry/platform';
import { SinkModule } from '@telemetry/sink';
import { SinkSplunkConfig } from './sink-splunk.config';

/** The splunk sink role: telemetry.enriched.v1 and its retry topics out to the destination. */
@Module({})
export class SinkSplunkAppModule {
  static forConfig(config: SinkSplunkConfig): DynamicModule {
    return {
      module: SinkSplunkAppModule,
      imports: [PlatformModule.forRoot(config.platform), SinkModule.forRoot(config.sinks, config.platform), HealthModule.forRoot()],
    };
  }
}
