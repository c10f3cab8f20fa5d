/** The SQL store readiness pings, where the app has one (HealthModule.forRoot({ database })). */
export const READINESS_DATABASE = Symbol('READINESS_DATABASE');

/** What readiness needs of a SQL store (SqlStore in libs/persistence has it). */
export interface PingableDatabase {
  readonly dialect: string;
  /** Resolves once the database answered `SELECT 1`; rejects with why not, or after timeoutMs. */
  ping(timeoutMs: number): Promise<void>;
}
