import { DynamicModule, Module } from '@nestjs/common';
import { SinkModule } from '@telemetry/sink';
import { AppConfig, RuntimeModule } from '@telemetry/runtime';

@Module({})
export class SinkSplunkAppModule {
  static forConfig(config: AppConfig): DynamicModule {
    return { module: SinkSplunkAppModule, imports: [RuntimeModule.forRoot(config), SinkModule.forConfig(config)] };
  }
}
