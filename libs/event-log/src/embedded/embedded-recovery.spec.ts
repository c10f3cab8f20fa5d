import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '@telemetry/testing';
import type { LogRecord, Subscription } from '../event-log.port';
import { EmbeddedEventLog, type EmbeddedEventLogOptions } from './embedded.event-log';

/*
 * Recovery from damaged files: real segment files are written by the log, damaged on disk, and the
 * log reopened. Every record value has the same length, so frame i starts at i * frameBytes.
 */
describe('EmbeddedEventLog recovery', () => {
  let dataDir: string;
  let errors: string[];
  const opened: EmbeddedEventLog[] = [];

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'embedded-recovery-'));
    errors = [];
  });

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((log) => log.close()));
    await rm(dataDir, { recursive: true, force: true });
  });

  async function open(options: Partial<EmbeddedEventLogOptions> = {}): Promise<EmbeddedEventLog> {
    const log = await EmbeddedEventLog.open({
      dataDir,
      logger: { warn: () => undefined, error: (message) => errors.push(message) },
      ...options,
    });
    opened.push(log);
    return log;
  }

  async function reopen(log: EmbeddedEventLog, options: Partial<EmbeddedEventLogOptions> = {}): Promise<EmbeddedEventLog> {
    await log.close();
    opened.splice(opened.indexOf(log), 1);
    return open(options);
  }

  /** Reads with a group until `expected` records arrived, then closes the subscription. */
  async function consume(log: EmbeddedEventLog, topic: string, expected: number, groupId = `reader-${Math.random()}`): Promise<LogRecord[]> {
    const records: LogRecord[] = [];
    const subscription: Subscription = await log.subscribe({
      groupId,
      topics: [topic],
      handler: async (batch) => void records.push(...batch.records),
    });
    try {
      await waitFor(() => records.length >= expected, { timeoutMs: 10_000, description: `${expected} records of ${topic}` });
    } finally {
      await subscription.close();
    }
    return records;
  }

  function segmentPath(topic: string, baseOffset = 0): string {
    return join(dataDir, 'logs', topic, '0', `${String(baseOffset).padStart(20, '0')}.log`);
  }

  async function flipBit(path: string, position: number, mask = 0x01): Promise<void> {
    const bytes = await readFile(path);
    bytes[position] ^= mask;
    await writeFile(path, bytes);
  }

  const values = (records: readonly LogRecord[]) => records.map((r) => r.value.toString());
  const offsets = (records: readonly LogRecord[]) => records.map((r) => r.offset);
  const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

  async function writeTen(log: EmbeddedEventLog, topic: string): Promise<number> {
    await log.ensureTopics([{ name: topic, partitions: 1, retentionMs: -1 }]);
    await log.publish(
      topic,
      range(0, 10).map((i) => ({ key: 'k', value: `value-${i}` })),
    );
    return (await stat(segmentPath(topic))).size / 10;
  }

  it.each([
    ['its body (the length is intact)', (frameBytes: number) => frameBytes - 1, 0x01],
    ['its length field (found again by scanning for the next valid frame)', () => 3, 0x80],
    ['its checksum', () => 5, 0x10],
  ])('skips a frame damaged in %s inside the active segment and keeps every frame after it', async (_, at, mask) => {
    let log = await open();
    const frameBytes = await writeTen(log, 'flipped');
    const groupId = 'caught-up-before-the-damage';
    await consume(log, 'flipped', 10, groupId);
    await flipBit(segmentPath('flipped'), 4 * frameBytes + at(frameBytes), mask);

    log = await reopen(log);

    expect(log.stats().corruptFramesSkipped).toBe(1);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(segmentPath('flipped'));
    expect(errors[0]).toContain(`at byte ${4 * frameBytes}`);
    expect(errors[0]).toContain('offset 4');
    // Offsets keep their meaning: the damaged record's offset stays taken.
    expect(await log.endOffsets('flipped')).toEqual(new Map([[0, '10']]));
    const replay = await consume(log, 'flipped', 9);
    expect(values(replay)).toEqual([0, 1, 2, 3, 5, 6, 7, 8, 9].map((i) => `value-${i}`));
    expect(offsets(replay)).toEqual(['0', '1', '2', '3', '5', '6', '7', '8', '9']);
    // A new append is consumed, by a fresh group and by the group that had read everything.
    await log.publish('flipped', [{ key: 'k', value: 'after-reopen' }]);
    const resumed = await consume(log, 'flipped', 1, groupId);
    expect(values(resumed)).toEqual(['after-reopen']);
    expect(offsets(resumed)).toEqual(['10']);
    expect(await log.committedOffsets(groupId, 'flipped')).toEqual(new Map([[0, '11']]));
  });

  it('skips several damaged frames and commits past them', async () => {
    let log = await open();
    const frameBytes = await writeTen(log, 'several');
    for (const frame of [0, 5, 6]) await flipBit(segmentPath('several'), frame * frameBytes + frameBytes - 2);

    log = await reopen(log);

    expect(log.stats().corruptFramesSkipped).toBe(3);
    const records = await consume(log, 'several', 7, 'skipper');
    expect(offsets(records)).toEqual(['1', '2', '3', '4', '7', '8', '9']);
    await waitFor(async () => (await log.committedOffsets('skipper', 'several')).get(0) === '10', {
      timeoutMs: 10_000,
      description: 'offset 10 committed',
    });
  });

  it('skips a damaged frame in a sealed segment when a read finds it, keeping later frames and segments', async () => {
    let log = await open({ segmentBytes: 400 });
    await log.ensureTopics([{ name: 'sealed', partitions: 1, retentionMs: -1 }]);
    for (let i = 0; i < 30; i++) await log.publish('sealed', [{ key: 'k', value: `value-${String(i).padStart(2, '0')}` }]);
    const segments = (await readdir(join(dataDir, 'logs', 'sealed', '0'))).sort();
    expect(segments.length).toBeGreaterThan(2);
    const first = segmentPath('sealed');
    const frameBytes = (await stat(first)).size / Number(segments[1].slice(0, 20));
    await flipBit(first, 2 * frameBytes + frameBytes - 1);

    log = await reopen(log, { segmentBytes: 400 });
    const records = await consume(log, 'sealed', 29);

    expect(offsets(records)).toEqual(
      range(0, 30)
        .filter((i) => i !== 2)
        .map(String),
    );
    expect(log.stats().corruptFramesSkipped).toBe(1);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(first);
    expect(errors[0]).toContain(`at byte ${2 * frameBytes}`);
    // Found once: a second reader skips it without reporting it again.
    expect(offsets(await consume(log, 'sealed', 29))).toEqual(offsets(records));
    expect(log.stats().corruptFramesSkipped).toBe(1);
  });

  it('keeps the offsets of a sealed segment whose damaged length field hides where frames start', async () => {
    let log = await open({ segmentBytes: 400 });
    await log.ensureTopics([{ name: 'sealed-length', partitions: 1, retentionMs: -1 }]);
    for (let i = 0; i < 30; i++) await log.publish('sealed-length', [{ key: 'k', value: `value-${String(i).padStart(2, '0')}` }]);
    const segments = (await readdir(join(dataDir, 'logs', 'sealed-length', '0'))).sort();
    const first = segmentPath('sealed-length');
    const inFirst = Number(segments[1].slice(0, 20));
    const frameBytes = (await stat(first)).size / inFirst;
    await flipBit(first, 1 * frameBytes + 3, 0x80);

    log = await reopen(log, { segmentBytes: 400 });

    expect(log.stats().corruptFramesSkipped).toBe(1);
    expect(errors[0]).toContain(`at byte ${frameBytes}`);
    const records = await consume(log, 'sealed-length', 29);
    expect(offsets(records)).toEqual(
      range(0, 30)
        .filter((i) => i !== 1)
        .map(String),
    );
    expect(values(records)[inFirst - 1]).toBe(`value-${String(inFirst).padStart(2, '0')}`);
  });

  it('gives a damaged stretch of a sealed segment as many offsets as the next segment proves it held', async () => {
    let log = await open({ segmentBytes: 400 });
    await log.ensureTopics([{ name: 'sealed-stretch', partitions: 1, retentionMs: -1 }]);
    for (let i = 0; i < 30; i++) await log.publish('sealed-stretch', [{ key: 'k', value: `value-${String(i).padStart(2, '0')}` }]);
    const segments = (await readdir(join(dataDir, 'logs', 'sealed-stretch', '0'))).sort();
    const first = segmentPath('sealed-stretch');
    const inFirst = Number(segments[1].slice(0, 20));
    const frameBytes = (await stat(first)).size / inFirst;
    // Two frames in a row lose their length fields: the scan cannot tell how many frames it skipped.
    await flipBit(first, 1 * frameBytes + 3, 0x80);
    await flipBit(first, 2 * frameBytes + 3, 0x80);

    log = await reopen(log, { segmentBytes: 400 });

    expect(log.stats().corruptFramesSkipped).toBe(2);
    expect(errors[0]).toContain('offsets 1..2');
    const records = await consume(log, 'sealed-stretch', 28);
    expect(offsets(records)).toEqual(
      range(0, 30)
        .filter((i) => i !== 1 && i !== 2)
        .map(String),
    );
    expect(records.every((r) => r.value.toString() === `value-${r.offset.padStart(2, '0')}`)).toBe(true);
  });

  it('truncates only an incomplete final frame and keeps the damaged frame before it as skipped', async () => {
    let log = await open();
    const frameBytes = await writeTen(log, 'both');
    await flipBit(segmentPath('both'), 2 * frameBytes + frameBytes - 1);
    // The last write was torn: only half of the final frame made it to disk.
    const bytes = await readFile(segmentPath('both'));
    await writeFile(segmentPath('both'), bytes.subarray(0, bytes.length - Math.floor(frameBytes / 2)));

    log = await reopen(log);

    expect(await log.endOffsets('both')).toEqual(new Map([[0, '9']]));
    expect((await stat(segmentPath('both'))).size).toBe(9 * frameBytes);
    expect(log.stats().corruptFramesSkipped).toBe(1);
    await log.publish('both', [{ key: 'k', value: 'value-new' }]);
    const records = await consume(log, 'both', 9);
    expect(offsets(records)).toEqual(['0', '1', '3', '4', '5', '6', '7', '8', '9']);
    expect(values(records).at(-1)).toBe('value-new');
  });

  it('resets a committed offset past the end of the partition to the end, with an error, and consumes new appends', async () => {
    let log = await open();
    await log.ensureTopics([{ name: 'behind', partitions: 1, retentionMs: -1 }]);
    await log.publish('behind', [{ value: 'first' }, { value: 'second' }]);
    await consume(log, 'behind', 2, 'ahead-of-the-log');
    expect(await log.committedOffsets('ahead-of-the-log', 'behind')).toEqual(new Map([[0, '2']]));
    // The final frame is damaged with nothing after it: a torn tail, truncated on open.
    const bytes = await readFile(segmentPath('behind'));
    bytes[bytes.length - 1] ^= 0xff;
    await writeFile(segmentPath('behind'), bytes);

    log = await reopen(log);
    expect(await log.endOffsets('behind')).toEqual(new Map([[0, '1']]));
    await log.publish('behind', [{ value: 'after-restart' }]);
    const records = await consume(log, 'behind', 1, 'ahead-of-the-log');

    expect(values(records)).toEqual(['after-restart']);
    expect(offsets(records)).toEqual(['1']);
    expect(errors.some((e) => /ahead-of-the-log.*committed offset 2 of behind-0 is past the partition's end 1; resetting it to 1/.test(e))).toBe(true);
    expect(log.stats().committedOffsetsReset).toBe(1);
    expect(await log.committedOffsets('ahead-of-the-log', 'behind')).toEqual(new Map([[0, '2']]));
  });

  it.each([
    ['truncated', (text: string) => text.slice(0, Math.floor(text.length / 2))],
    ['not offsets', () => '{"version":1,"groupId":"g","offsets":{"t":{"0":"minus one"}}}\n'],
  ])('refuses to open with a group offsets file that is %s, naming the file and what to do', async (_, damage) => {
    let log = await open();
    await log.ensureTopics([{ name: 'grouped', partitions: 1, retentionMs: -1 }]);
    await log.publish('grouped', [{ value: 'x' }]);
    await consume(log, 'grouped', 1, 'the-group');
    await log.close();
    opened.splice(0);
    const [file] = await readdir(join(dataDir, 'groups'));
    const path = join(dataDir, 'groups', file);
    await writeFile(path, damage(await readFile(path, 'utf8')));

    const failure = await EmbeddedEventLog.open({ dataDir, logger: { warn: () => undefined } }).catch((error: unknown) => error);

    expect(failure).toMatchObject({ code: 'log_corrupted', retriable: false });
    expect((failure as Error).message).toContain(path);
    expect((failure as Error).message).toMatch(/Restore this file from a backup, or delete it/);
    // The data dir was not left locked: after the operator deletes the file, the log opens.
    await rm(path);
    log = await open();
    expect(await log.committedOffsets('the-group', 'grouped')).toEqual(new Map());
    expect(values(await consume(log, 'grouped', 1, 'the-group'))).toEqual(['x']);
  });
});
