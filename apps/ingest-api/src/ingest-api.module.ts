import { DynamicModule, Module } from '@nestjs/common';
import { IngestModule } from '@telemetry/ingest';
import { AppConfig, RuntimeModule } from '@telemetry/runtime';

@Module({})
export class IngestApiModule {
  static forConfig(config: AppConfig): DynamicModule {
    return { module: IngestApiModule, imports: [RuntimeModule.forRoot(config), IngestModule] };
  }
}
