import { DynamicModule, Inject, Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import { DatabaseConfig } from '@telemetry/platform';
import { SqlStore } from './sql-store';

/** The read models' SQL store (Postgres, or the embedded store under DATA_DIR). */
export const SQL_STORE = Symbol('SQL_STORE');

/** Closes the store once the consumers have stopped (after the app's dispose). */
@Injectable()
class SqlStoreLifecycle implements OnApplicationShutdown {
  constructor(@Inject(SQL_STORE) private readonly store: SqlStore) {}

  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
  }
}

/** The SQL store for the roles that keep read models (the query role). */
@Module({})
export class PersistenceModule {
  static forRoot(database: DatabaseConfig): DynamicModule {
    return {
      module: PersistenceModule,
      global: true,
      providers: [{ provide: SQL_STORE, useFactory: () => SqlStore.open(database) }, SqlStoreLifecycle],
      exports: [SQL_STORE],
    };
  }
}
