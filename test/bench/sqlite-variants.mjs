// The store's write path without the projection (no TypeORM, no JSON.parse): node:sqlite alone,
// with the embedded store's schema, 500-row INSERT … ON CONFLICT (event_id) DO NOTHING statements,
// the offset upsert and COMMIT per transaction, for comparing SQLite settings at 1M rows quickly.
// The payload is a fixed ~1.3 KB string, not enriched JSON; `npm run bench` (projection-scale)
// remains the measurement of the product. Prints rows/s and rows per CPU-second per quarter.
//
//   node test/bench/sqlite-variants.mjs                       # 1M rows, hash ids, the store's old settings
//   P=page_size=16384,cache=-262144,ckpt=50000,sort=1 TX=10000 ROWS=300000 node test/bench/sqlite-variants.mjs
//   P=ids=seq | P=withoutrowid=1 | P=sync=NORMAL | P=mmap=1073741824,temp=MEMORY
import { DatabaseSync } from 'node:sqlite';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
const V = process.env.V ?? 'base';
const ROWS = Number(process.env.ROWS ?? 1_000_000);
const TX = Number(process.env.TX ?? 2000);
const opts = Object.fromEntries(
  (process.env.P ?? '')
    .split(',')
    .filter(Boolean)
    .map((s) => s.split('=')),
);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlite-variants-'));
const file = dir + '/t.sqlite';
const db = new DatabaseSync(file);
if (opts.page_size) db.exec(`PRAGMA page_size=${opts.page_size}`);
db.exec('PRAGMA journal_mode=WAL');
db.exec(`PRAGMA synchronous=${opts.sync ?? 'FULL'}`);
db.exec(`PRAGMA cache_size=${opts.cache ?? -65536}`);
db.exec(`PRAGMA wal_autocheckpoint=${opts.ckpt ?? 10000}`);
if (opts.mmap) db.exec(`PRAGMA mmap_size=${opts.mmap}`);
if (opts.temp) db.exec(`PRAGMA temp_store=${opts.temp}`);
const wr = opts.withoutrowid === '1';
db.exec(
  `CREATE TABLE enriched_events (event_id varchar(64) PRIMARY KEY, tenant_id varchar(128) NOT NULL, ts_ms bigint NOT NULL, ingested_ms bigint NOT NULL, src_ip varchar(45) NOT NULL, dst_ip varchar(45) NOT NULL, risk_score integer NOT NULL, payload text NOT NULL)${wr ? ' WITHOUT ROWID' : ''}`,
);
db.exec('CREATE INDEX ix_enriched_events_tenant_ingested ON enriched_events (tenant_id, ingested_ms)');
db.exec(
  'CREATE TABLE projection_offsets (projection varchar(128) NOT NULL, topic varchar(255) NOT NULL, partition integer NOT NULL, next_offset varchar(32) NOT NULL, PRIMARY KEY (projection, topic, partition))',
);
const per = 500;
const tuples = Array.from({ length: per }, () => '(?, ?, ?, ?, ?, ?, ?, ?)').join(', ');
const ins = db.prepare(
  `INSERT INTO enriched_events (event_id, tenant_id, ts_ms, ingested_ms, src_ip, dst_ip, risk_score, payload) VALUES ${tuples} ON CONFLICT (event_id) DO NOTHING`,
);
const off = db.prepare(
  `INSERT INTO projection_offsets VALUES ('p','t',0,?) ON CONFLICT (projection, topic, partition) DO UPDATE SET next_offset = excluded.next_offset`,
);
const filler = createHash('sha512').update('x').digest('base64').repeat(16).slice(0, 1250);
const seq = opts.ids === 'seq';
const id = (i) =>
  seq
    ? 's' + i.toString(16).padStart(31, '0')
    : createHash('sha256')
        .update('r:' + i)
        .digest('hex')
        .slice(0, 32);
const sorted = opts.sort === '1';
const q = [0, 0, 0, 0].map(() => ({ rows: 0, ms: 0, cpu: 0 }));
const base = 1764547200000;
for (let built = 0; built < ROWS;) {
  const n = Math.min(TX, ROWS - built);
  const rows = [];
  for (let k = 0; k < n; k++) {
    const i = built + k;
    const e = id(i);
    rows.push([e, 'tenant', base + i, base + Math.floor(i / 10), '10.0.0.1', '192.168.1.1', i % 100, `{"event_id":"${e}","x":"${filler}"}`]);
  }
  if (sorted) rows.sort((a, b) => (a[0] < b[0] ? -1 : 1));
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  db.exec('BEGIN');
  for (let s = 0; s < n; s += per) {
    const p = [];
    for (const r of rows.slice(s, s + per)) p.push(...r);
    ins.run(...p);
  }
  off.run(String(built + n));
  db.exec('COMMIT');
  const ms = performance.now() - t0;
  const c = process.cpuUsage(c0);
  const qq = q[Math.min(3, Math.floor((built * 4) / ROWS))];
  qq.rows += n;
  qq.ms += ms;
  qq.cpu += (c.user + c.system) / 1000;
  built += n;
}
const r = q.map((x) => Math.round((x.rows / x.ms) * 1000));
const rc = q.map((x) => Math.round((x.rows / x.cpu) * 1000));
const tot = q.reduce((a, x) => ({ rows: a.rows + x.rows, ms: a.ms + x.ms, cpu: a.cpu + x.cpu }), { rows: 0, ms: 0, cpu: 0 });
const wal = fs.existsSync(file + '-wal') ? fs.statSync(file + '-wal').size : 0;
console.log(
  `${V} P=${process.env.P ?? ''} TX=${TX} rows=${ROWS}: quarters ${r.join(' | ')} last/first ${(r[3] / r[0]).toFixed(2)} cpu-quarters ${rc.join(' | ')} cpu last/first ${(rc[3] / rc[0]).toFixed(2)} overall ${Math.round((tot.rows / tot.ms) * 1000)} rows/s, ${Math.round((tot.rows / tot.cpu) * 1000)} rows/CPU-s, cpu/wall ${(tot.cpu / tot.ms).toFixed(2)} rss ${Math.round(process.memoryUsage.rss() / 1e6)}MB wal ${Math.round(wal / 1e6)}MB`,
);
db.close();
fs.rmSync(dir, { recursive: true, force: true });
