import * as fs from 'node:fs';
import { DatabaseSync, SQLInputValue, StatementSync } from 'node:sqlite';

/**
 * `node:sqlite` (SQLite built into Node 24) shaped like the part of better-sqlite3 that TypeORM
 * 0.3's `better-sqlite3` driver calls, so that driver (its query runner, migrations and query
 * builder) runs on it unchanged. TypeORM has no `node:sqlite` driver of its own (typeorm#11164);
 * this is what 0.3.x's BetterSqlite3Driver and BetterSqlite3QueryRunner use, and nothing more:
 *
 * - `new Database(file, { readonly, fileMustExist, timeout, verbose, nativeBinding })`
 * - `database.prepare(sql)` → a statement with `reader` (does it return rows), `all(...params)` and
 *   `run(...params)` → `{ changes, lastInsertRowid }`
 * - `database.pragma(source)` → the rows of `PRAGMA <source>`
 * - `database.close()`
 *
 * Anything else TypeORM might reach for is missing on purpose, so a TypeORM upgrade that starts
 * calling more fails loudly in the persistence specs instead of misbehaving.
 */
export interface NodeSqliteOptions {
  readonly readonly?: boolean;
  readonly fileMustExist?: boolean;
  /** Milliseconds to wait for a lock held by another connection (SQLite's busy timeout). */
  readonly timeout?: number;
  /** better-sqlite3 passes these through; node:sqlite has no equivalent, so they must be unset. */
  readonly verbose?: unknown;
  readonly nativeBinding?: unknown;
}

export interface NodeSqliteRunResult {
  readonly changes: number | bigint;
  readonly lastInsertRowid: number | bigint;
}

export class NodeSqliteStatement {
  /** True when the statement returns rows (SELECT, PRAGMA that answers, … RETURNING), as in better-sqlite3. */
  readonly reader: boolean;

  constructor(private readonly statement: StatementSync) {
    this.reader = statement.columns().length > 0;
  }

  all(...parameters: SQLInputValue[]): unknown[] {
    return this.statement.all(...parameters);
  }

  run(...parameters: SQLInputValue[]): NodeSqliteRunResult {
    return this.statement.run(...parameters);
  }
}

export class NodeSqliteDatabase {
  private readonly database: DatabaseSync;

  constructor(
    readonly name: string,
    options: NodeSqliteOptions = {},
  ) {
    if (options.verbose || options.nativeBinding)
      throw new Error('node:sqlite adapter: the verbose and nativeBinding options of better-sqlite3 are not supported');
    if (options.fileMustExist && name !== ':memory:' && !fs.existsSync(name)) throw new Error(`node:sqlite adapter: ${name} does not exist (fileMustExist)`);
    this.database = new DatabaseSync(name, {
      readOnly: options.readonly ?? false,
      timeout: options.timeout ?? 5_000,
      // As better-sqlite3 is built: "…" is an identifier, never a string literal.
      enableDoubleQuotedStringLiterals: false,
    });
  }

  prepare(sql: string): NodeSqliteStatement {
    return new NodeSqliteStatement(this.database.prepare(sql));
  }

  /** The rows `PRAGMA <source>` answers (better-sqlite3's `pragma(source)` without `{ simple }`). */
  pragma(source: string): unknown[] {
    return this.database.prepare(`PRAGMA ${source}`).all();
  }

  exec(sql: string): void {
    this.database.exec(sql);
  }

  get open(): boolean {
    return this.database.isOpen;
  }

  close(): void {
    if (this.database.isOpen) this.database.close();
  }
}
