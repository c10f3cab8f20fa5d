import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { appendFile, mkdtemp, readdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '@telemetry/testing';
import type { EventLog, LogRecord } from '../event-log.port';
import { describeEventLogContract } from '../testing/event-log.contract';
import { EmbeddedEventLog, type EmbeddedEventLogOptions } from './embedded.event-log';

const silent = { warn: () => undefined };

async function temporaryDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'embedded-event-log-'));
}

describeEventLogContract('embedded', async () => {
  const dataDir = await temporaryDir();
  let current = await EmbeddedEventLog.open({ dataDir, logger: silent });
  return {
    log: current,
    reopen: async () => {
      await current.close();
      current = await EmbeddedEventLog.open({ dataDir, logger: silent });
      return current;
    },
    teardown: async () => {
      await current.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
});

describe('EmbeddedEventLog', () => {
  let dataDir: string;
  const opened: EventLog[] = [];

  beforeEach(async () => {
    dataDir = await temporaryDir();
  });

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((log) => log.close()));
    await rm(dataDir, { recursive: true, force: true });
  });

  async function open(options: Partial<EmbeddedEventLogOptions> = {}): Promise<EmbeddedEventLog> {
    const log = await EmbeddedEventLog.open({ dataDir, logger: silent, ...options });
    opened.push(log);
    return log;
  }

  async function readAll(log: EventLog, topic: string, expected: number): Promise<LogRecord[]> {
    const records: LogRecord[] = [];
    const subscription = await log.subscribe({
      groupId: `reader-${Math.random().toString(36).slice(2)}`,
      topics: [topic],
      handler: async (batch) => {
        records.push(...batch.records);
      },
    });
    try {
      await waitFor(() => records.length >= expected, { timeoutMs: 30_000, description: `${expected} records` });
    } finally {
      await subscription.close();
    }
    return records;
  }

  function segmentPath(topic: string, partition: number, baseOffset = 0): string {
    return join(dataDir, 'logs', topic, String(partition), `${String(baseOffset).padStart(20, '0')}.log`);
  }

  it('truncates a torn tail frame on open and keeps appending after it', async () => {
    let log = await open();
    await log.ensureTopics([{ name: 'torn', partitions: 1, retentionMs: -1 }]);
    await log.publish(
      'torn',
      Array.from({ length: 10 }, (_, i) => ({ key: 'k', value: `v${i}` })),
    );
    await log.close();
    const intactSize = (await stat(segmentPath('torn', 0))).size;
    // A crash mid-write: the length prefix promises more bytes than made it to disk.
    const torn = Buffer.alloc(30);
    torn.writeUInt32LE(500, 0);
    await appendFile(segmentPath('torn', 0), torn);

    log = await open();

    expect((await stat(segmentPath('torn', 0))).size).toBe(intactSize);
    expect(await log.endOffsets('torn')).toEqual(new Map([[0, '10']]));
    await log.publish('torn', [{ key: 'k', value: 'v10' }]);
    const records = await readAll(log, 'torn', 11);
    expect(records.map((r) => r.value.toString())).toEqual(Array.from({ length: 11 }, (_, i) => `v${i}`));
    expect(records.map((r) => r.offset)).toEqual(Array.from({ length: 11 }, (_, i) => String(i)));
  });

  it('drops a last frame whose checksum does not match', async () => {
    let log = await open();
    await log.ensureTopics([{ name: 'crc', partitions: 1, retentionMs: -1 }]);
    await log.publish('crc', [{ value: 'first' }, { value: 'second' }]);
    await log.close();
    const file = segmentPath('crc', 0);
    const bytes = await readFile(file);
    bytes[bytes.length - 1] ^= 0xff;
    await writeFile(file, bytes);

    log = await open();

    expect(await log.endOffsets('crc')).toEqual(new Map([[0, '1']]));
    expect((await readAll(log, 'crc', 1)).map((r) => r.value.toString())).toEqual(['first']);
  });

  it('rolls segments, reads across them after reopen, and deletes whole segments past retention', async () => {
    let log = await open({ segmentBytes: 4096 });
    await log.ensureTopics([{ name: 'rolling', partitions: 1, retentionMs: 60_000 }]);
    for (let call = 0; call < 20; call++) {
      await log.publish(
        'rolling',
        Array.from({ length: 10 }, (_, i) => ({ value: `${call * 10 + i}:${'x'.repeat(100)}` })),
      );
    }
    const segments = (await readdir(join(dataDir, 'logs', 'rolling', '0'))).sort();
    expect(segments.length).toBeGreaterThan(3);
    await log.close();
    log = await open({ segmentBytes: 4096 });
    expect((await readAll(log, 'rolling', 200)).map((r) => r.offset)).toEqual(Array.from({ length: 200 }, (_, i) => String(i)));

    expect(await log.enforceRetention(Date.now())).toBe(0);
    const deleted = await log.enforceRetention(Date.now() + 61_000);

    expect(deleted).toBe(segments.length - 1);
    expect(await readdir(join(dataDir, 'logs', 'rolling', '0'))).toEqual([segments[segments.length - 1]]);
    const firstKept = Number(segments[segments.length - 1].slice(0, 20));
    const afterRetention = await readAll(log, 'rolling', 200 - firstKept);
    expect(afterRetention[0].offset).toBe(String(firstKept));
    expect(await log.endOffsets('rolling')).toEqual(new Map([[0, '200']]));
  });

  it('shares one fsync between concurrent publishes and keeps every record (fsync batch and always)', async () => {
    for (const fsync of ['batch', 'always'] as const) {
      const log = await open({ fsync, dataDir: join(dataDir, fsync) });
      await log.ensureTopics([{ name: 'concurrent', partitions: 2, retentionMs: -1 }]);
      await Promise.all(
        Array.from({ length: 20 }, (_, call) =>
          log.publish(
            'concurrent',
            Array.from({ length: 50 }, (_, i) => ({ key: `k${call % 4}`, value: `${call}:${i}` })),
          ),
        ),
      );
      const records = await readAll(log, 'concurrent', 1000);
      expect(records).toHaveLength(1000);
      for (let call = 0; call < 20; call++) {
        const values = records.filter((r) => r.value.toString().startsWith(`${call}:`)).map((r) => r.value.toString());
        expect(values).toEqual(Array.from({ length: 50 }, (_, i) => `${call}:${i}`));
      }
    }
  });

  it('places a key on the partition Kafka would choose and round-robins keyless records', async () => {
    const log = await open();
    await log.ensureTopics([{ name: 'placement', partitions: 4, retentionMs: -1 }]);
    await log.publish('placement', [{ key: 'foobar', value: 'keyed' }, ...Array.from({ length: 8 }, (_, i) => ({ value: `keyless-${i}` }))]);
    const records = await readAll(log, 'placement', 9);
    // Kafka: toPositive(murmur2("foobar")) % 4 = (-790332482 & 0x7fffffff) % 4 = 2
    expect(records.find((r) => r.value.toString() === 'keyed')?.partition).toBe(2);
    const keyless = records.filter((r) => r.key === null);
    expect([0, 1, 2, 3].map((p) => keyless.filter((r) => r.partition === p).length)).toEqual([2, 2, 2, 2]);
  });

  it('uses defaultPartitions for topics that ask for the default', async () => {
    const log = await open({ defaultPartitions: 3 });
    await log.ensureTopics([{ name: 'defaulted', partitions: -1, retentionMs: -1 }]);
    expect((await log.endOffsets('defaulted')).size).toBe(3);
  });

  it('rejects unknown topics, bad partitions, a second subscription of a group and a second open', async () => {
    const log = await open();
    await log.ensureTopics([{ name: 'strict', partitions: 2, retentionMs: -1 }]);
    await expect(log.publish('missing', [{ value: 'x' }])).rejects.toMatchObject({ code: 'unknown_topic' });
    await expect(log.publish('strict', [{ value: 'x', partition: 2 }])).rejects.toMatchObject({
      code: 'invalid_partition',
    });
    await expect(log.ensureTopics([{ name: '../escape', partitions: 1, retentionMs: -1 }])).rejects.toMatchObject({
      code: 'invalid_topic',
    });
    const subscription = await log.subscribe({ groupId: 'only-one', topics: ['strict'], handler: async () => undefined });
    await expect(log.subscribe({ groupId: 'only-one', topics: ['strict'], handler: async () => undefined })).rejects.toMatchObject({
      code: 'group_already_subscribed',
    });
    await subscription.close();
    await expect(EmbeddedEventLog.open({ dataDir })).rejects.toMatchObject({ code: 'data_dir_locked' });
    await log.close();
    await expect(log.publish('strict', [{ value: 'x' }])).rejects.toMatchObject({ code: 'event_log_unavailable' });
  });

  it('keeps every acknowledged record when the writing process is killed mid-stream', async () => {
    // No build step: a tiny bootstrap compiles the TypeScript sources with @swc/core on require.
    const bootstrap = join(dataDir, 'swc-bootstrap.js');
    await writeFile(
      bootstrap,
      `const { transformSync } = require(${JSON.stringify(require.resolve('@swc/core'))});
const { readFileSync } = require('node:fs');
require.extensions['.ts'] = function compileTypeScript(module, filename) {
  const { code } = transformSync(readFileSync(filename, 'utf8'), {
    filename, swcrc: false, module: { type: 'commonjs' }, jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
  });
  module._compile(code, filename);
};
process.argv.splice(1, 1);
require(require('node:path').resolve(process.argv[1]));
`,
    );
    const logDir = join(dataDir, 'log');
    const childScript = join(__dirname, '../testing/crash-child.ts');
    const child = spawn(process.execPath, [bootstrap, childScript, logDir, 'crash'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = once(child, 'exit');
    const acked = new Map<string, number>();
    let ackLines = 0;
    let stderr = '';
    let pending = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      const lines = (pending + chunk).split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        const match = /^acked (\S+) (\d+)$/.exec(line);
        if (match) {
          acked.set(match[1], Number(match[2]));
          ackLines++;
        }
      }
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    try {
      await waitFor(() => ackLines >= 30 || child.exitCode !== null, { timeoutMs: 60_000, description: '30 acks' });
      if (child.exitCode !== null) throw new Error(`the child exited early (${child.exitCode}): ${stderr}`);
    } finally {
      child.kill('SIGKILL');
      await exited;
    }

    const warnings: string[] = [];
    const log = await open({ dataDir: logDir, logger: { warn: (message) => warnings.push(message) } });
    if (process.env.CRASH_TEST_DEBUG) process.stdout.write(`${JSON.stringify({ acked: [...acked], warnings })}\n`);
    const end = [...(await log.endOffsets('crash')).values()].reduce((sum, offset) => sum + Number(offset), 0);
    const records = await readAll(log, 'crash', end);
    expect(acked.size).toBe(3);
    for (const [writer, count] of acked) {
      const values = records.filter((r) => r.key?.toString() === writer).map((r) => Number(r.value.toString().split(':')[1]));
      expect(values.length).toBeGreaterThanOrEqual(count);
      // Nothing lost, nothing duplicated, in order: exactly 0..n-1 for some n >= acknowledged.
      expect(values).toEqual(Array.from({ length: values.length }, (_, i) => i));
    }
    await log.publish('crash', [{ key: 'writer-0', value: 'after-restart' }]);
    expect([...(await log.endOffsets('crash')).values()].reduce((sum, offset) => sum + Number(offset), 0)).toBe(end + 1);
  });
});

describe('EmbeddedEventLog segment files', () => {
  it('survive a truncated file shorter than a frame header', async () => {
    const dataDir = await temporaryDir();
    try {
      let log = await EmbeddedEventLog.open({ dataDir, logger: silent });
      await log.ensureTopics([{ name: 'short', partitions: 1, retentionMs: -1 }]);
      await log.publish('short', [{ value: 'only' }]);
      await log.close();
      const file = join(dataDir, 'logs', 'short', '0', `${'0'.repeat(20)}.log`);
      await truncate(file, 5);
      log = await EmbeddedEventLog.open({ dataDir, logger: silent });
      expect(await log.endOffsets('short')).toEqual(new Map([[0, '0']]));
      expect((await stat(file)).size).toBe(0);
      await log.close();
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
