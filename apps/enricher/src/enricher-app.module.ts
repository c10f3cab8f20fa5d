import { DynamicModule, Module } from '@nestjs/common';
import { EnricherModule } from '@telemetry/enricher';
import { AppConfig, RuntimeModule } from '@telemetry/runtime';

@Module({})
export class EnricherAppModule {
  static forConfig(config: AppConfig): DynamicModule {
    return { module: EnricherAppModule, imports: [RuntimeModule.forRoot(config), EnricherModule] };
  }
}
