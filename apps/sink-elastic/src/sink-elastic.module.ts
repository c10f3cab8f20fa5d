import { DynamicModule, Module } from '@nestjs/common';
import { HealthModule, PlatformModule } from '@telemetry/platform';
import { SinkModule } from '@telemetry/sink';
import { SinkElasticConfig } from './sink-elastic.config';

/** The elastic sink role: telemetry.enriched.v1 and its retry topics out to the destination. */
@Module({})
export class SinkElasticAppModule {
  static forConfig(config: SinkElasticConfig): DynamicModule {
    return {
      module: SinkElasticAppModule,
      imports: [PlatformModule.forRoot(config.platform), SinkModule.forRoot(config.sinks, config.platform), HealthModule.forRoot()],
    };
  }
}
