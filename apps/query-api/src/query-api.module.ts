import { DynamicModule, Module } from '@nestjs/common';
import { QueryModule } from '@telemetry/query';
import { AppConfig, RuntimeModule } from '@telemetry/runtime';

@Module({})
export class QueryApiModule {
  static forConfig(config: AppConfig): DynamicModule {
    return { module: QueryApiModule, imports: [RuntimeModule.forRoot(config), QueryModule] };
  }
}
