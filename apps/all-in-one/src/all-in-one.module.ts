import { DynamicModule, Module } from '@nestjs/common';
import { EnricherModule } from '@telemetry/enricher';
import { IngestModule } from '@telemetry/ingest';
import { QueryModule } from '@telemetry/query';
import { SinkModule } from '@telemetry/sink';
import { AppConfig, RuntimeModule } from '@telemetry/runtime';

/** Every role's modules in one process, sharing one event log (embedded by default) and one SQL store; the sinks whose destination is configured. */
@Module({})
export class AllInOneModule {
  static forConfig(config: AppConfig): DynamicModule {
    return { module: AllInOneModule, imports: [RuntimeModule.forRoot(config), IngestModule, EnricherModule, QueryModule, SinkModule.forConfig(config)] };
  }
}
