import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DataSource } from 'typeorm';
import { NodeSqliteDatabase } from './node-sqlite.adapter';

// What TypeORM 0.3's better-sqlite3 driver and query runner call (BetterSqlite3Driver,
// BetterSqlite3QueryRunner), answered the way better-sqlite3 answers it.
describe('NodeSqliteDatabase (node:sqlite as better-sqlite3 for TypeORM)', () => {
  let database: NodeSqliteDatabase;

  beforeEach(() => {
    database = new NodeSqliteDatabase(':memory:');
    database.exec('CREATE TABLE t (id integer PRIMARY KEY, name text NOT NULL, big bigint)');
  });

  afterEach(() => database.close());

  it('tells readers from writers, as `statement.reader`', () => {
    expect(database.prepare('SELECT * FROM t').reader).toBe(true);
    expect(database.prepare('PRAGMA table_info("t")').reader).toBe(true);
    expect(database.prepare('INSERT INTO t (name) VALUES (?) RETURNING id').reader).toBe(true);
    expect(database.prepare('INSERT INTO t (name) VALUES (?)').reader).toBe(false);
    expect(database.prepare('BEGIN TRANSACTION').reader).toBe(false);
    expect(database.prepare('PRAGMA foreign_keys = ON').reader).toBe(false);
  });

  it('runs with positional parameters and answers changes and the last rowid', () => {
    const insert = database.prepare('INSERT INTO t (name, big) VALUES (?, ?), (?, ?)');
    expect(insert.run('a', '1767000000000', 'b', null)).toEqual({ changes: 2, lastInsertRowid: 2 });
    expect(database.prepare('UPDATE t SET name = ? WHERE id > ?').run('c', 0)).toEqual({ changes: 2, lastInsertRowid: 2 });
    expect(database.prepare('SELECT id, name, big FROM t WHERE id = ?').all(1)).toEqual([{ id: 1, name: 'c', big: 1767000000000 }]);
  });

  it('answers a pragma with its rows', () => {
    expect(database.pragma('table_info("t")')).toMatchObject([{ name: 'id' }, { name: 'name', notnull: 1 }, { name: 'big' }]);
    database.pragma('foreign_keys = ON');
    expect(database.pragma('foreign_keys')).toEqual([{ foreign_keys: 1 }]);
  });

  it('surfaces the errors SQLite reports', () => {
    expect(() => database.prepare('INSERT INTO t (name) VALUES (NULL)').run()).toThrow(/NOT NULL constraint failed/);
    expect(() => database.prepare('SELECT "no such column" FROM t').all()).toThrow(/no such column/);
  });

  it('honours fileMustExist and refuses better-sqlite3 options it cannot honour', () => {
    const missing = path.join(os.tmpdir(), `node-sqlite-missing-${process.pid}.sqlite`);
    expect(() => new NodeSqliteDatabase(missing, { fileMustExist: true })).toThrow(/does not exist/);
    expect(fs.existsSync(missing)).toBe(false);
    expect(() => new NodeSqliteDatabase(':memory:', { verbose: console.log })).toThrow(/not supported/);
  });

  it('carries TypeORM: migrations-style DDL, transactions with savepoints, the query builder', async () => {
    const dataSource = new DataSource({ type: 'better-sqlite3', driver: NodeSqliteDatabase, database: ':memory:', synchronize: false });
    await dataSource.initialize();
    try {
      await dataSource.query('CREATE TABLE kv (k varchar(8) PRIMARY KEY, v integer NOT NULL)');
      await dataSource.transaction(async (manager) => {
        await manager.query('INSERT INTO kv (k, v) VALUES (?, ?)', ['a', 1]);
        await manager
          .transaction(async (inner) => {
            await inner.query('INSERT INTO kv (k, v) VALUES (?, ?)', ['b', 2]);
            throw new Error('roll the savepoint back');
          })
          .catch(() => undefined);
      });
      await expect(dataSource.transaction((manager) => manager.query('INSERT INTO kv (k, v) VALUES (?, ?)', ['a', 9]))).rejects.toThrow(/UNIQUE/);
      const rows = await dataSource.createQueryBuilder().select('k').addSelect('v').from('kv', 'kv').orderBy('k').getRawMany();
      expect(rows).toEqual([{ k: 'a', v: 1 }]);
      const result = await dataSource.createQueryBuilder().update('kv').set({ v: 5 }).where('k = :k', { k: 'a' }).execute();
      expect(result.affected).toBe(1);
    } finally {
      await dataSource.destroy();
    }
  });
});
