import { randomUUID } from 'node:crypto';
import { waitFor } from '@telemetry/testing';
import {
  TailNotCaughtUpError,
  type EventLog,
  type LogRecord,
  type OutgoingRecord,
  type RecordBatch,
  type SubscribeOptions,
  type Subscription,
  type Tail,
} from '../event-log.port';

export interface EventLogContractFixture {
  readonly log: EventLog;
  /**
   * Closes the current log without any further cleanup and opens a new one on the same storage;
   * the previous instance is not used again. Adapters that can provide it run the durability cases.
   */
  readonly reopen?: () => Promise<EventLog>;
  /** Closes whichever log is current and removes what setup created. */
  readonly teardown: () => Promise<void>;
}

interface Consumer {
  readonly records: LogRecord[];
  readonly batches: RecordBatch[];
  readonly subscription: Subscription;
}

type ConsumeOptions = Omit<SubscribeOptions, 'handler'> & {
  /** Runs before the batch is recorded as handled; throwing makes the delivery fail. */
  readonly onBatch?: (batch: RecordBatch) => void | Promise<void>;
};

const DEADLINE = { timeoutMs: 30_000 };
/** Tolerance between the test's clock and the clock that stamps records (a broker's, for Kafka). */
const CLOCK_SKEW_MS = 5_000;

/**
 * The behaviour every EventLog adapter guarantees (see event-log.port.ts). `setup` runs before each
 * case and must give a fresh, isolated log; each case uses its own topics and groups.
 */
export function describeEventLogContract(adapterName: string, setup: () => Promise<EventLogContractFixture>): void {
  describe(`EventLog contract: ${adapterName}`, () => {
    let fixture: EventLogContractFixture;
    let log: EventLog;
    let subscriptions: Subscription[];
    let tails: Tail[];
    let releaseGates: Array<() => void>;

    beforeEach(async () => {
      fixture = await setup();
      log = fixture.log;
      subscriptions = [];
      tails = [];
      releaseGates = [];
    });

    afterEach(async () => {
      for (const release of releaseGates) release();
      await Promise.all([...subscriptions, ...tails].map((consumer) => consumer.close()));
      await fixture.teardown();
    });

    const unique = (prefix: string): string => `${prefix}-${randomUUID().slice(0, 8)}`;

    async function createTopic(partitions: number): Promise<string> {
      const name = unique('contract');
      await log.ensureTopics([{ name, partitions, retentionMs: -1 }]);
      return name;
    }

    async function consume(options: ConsumeOptions): Promise<Consumer> {
      const { onBatch, ...subscribeOptions } = options;
      const records: LogRecord[] = [];
      const batches: RecordBatch[] = [];
      const subscription = await log.subscribe({
        ...subscribeOptions,
        handler: async (batch) => {
          await onBatch?.(batch);
          batches.push(batch);
          records.push(...batch.records);
        },
      });
      subscriptions.push(subscription);
      return { records, batches, subscription };
    }

    interface TailReader {
      readonly records: LogRecord[];
      readonly batches: RecordBatch[];
      readonly tail: Tail;
    }

    async function follow(topics: readonly string[], onBatch?: (batch: RecordBatch) => void | Promise<void>, maxBatchRecords?: number): Promise<TailReader> {
      const records: LogRecord[] = [];
      const batches: RecordBatch[] = [];
      const tail = await log.tail({
        topics,
        maxBatchRecords,
        handler: async (batch) => {
          await onBatch?.(batch);
          batches.push(batch);
          records.push(...batch.records);
        },
      });
      tails.push(tail);
      return { records, batches, tail };
    }

    /** A promise the test opens with the returned function (also opened after the case). */
    function gate(): [Promise<void>, () => void] {
      let release: () => void = () => undefined;
      const opened = new Promise<void>((resolve) => {
        release = resolve;
      });
      releaseGates.push(release);
      return [opened, release];
    }

    const perPartition = (records: readonly LogRecord[], partition: number) =>
      records.filter((r) => r.partition === partition).map((r) => `${r.offset}:${text(r)}`);

    async function committedEquals(groupId: string, topic: string, expected: Map<number, string>): Promise<boolean> {
      const committed = await log.committedOffsets(groupId, topic);
      return committed.size === expected.size && [...expected].every(([p, offset]) => committed.get(p) === offset);
    }

    const text = (record: LogRecord): string => record.value.toString();

    it('ensureTopics creates missing topics and leaves existing ones as they are', async () => {
      const topic = unique('contract');
      const other = unique('contract');
      await log.ensureTopics([{ name: topic, partitions: 2, retentionMs: -1 }]);
      await log.ensureTopics([{ name: topic, partitions: 2, retentionMs: -1 }]);
      await log.publish(topic, [{ value: 'kept', partition: 1 }]);
      await log.ensureTopics([
        { name: topic, partitions: 4, retentionMs: 60_000 },
        { name: other, partitions: 1, retentionMs: -1 },
      ]);

      expect(await log.endOffsets(topic)).toEqual(
        new Map([
          [0, '0'],
          [1, '1'],
        ]),
      );
      expect(await log.endOffsets(other)).toEqual(new Map([[0, '0']]));
    });

    it('commits the prefix a handler consumed and offers the rest again, not before the time it named', async () => {
      const topic = await createTopic(2);
      await log.publish(
        topic,
        Array.from({ length: 10 }, (_, i) => ({ value: `held-${i}`, partition: 0 })),
      );
      await log.publish(topic, [{ value: 'other-partition', partition: 1 }]);
      const groupId = unique('group');
      const deliveries: Array<{ at: number; partition: number; offsets: string[] }> = [];
      let retryAt = 0;
      const subscription = await log.subscribe({
        groupId,
        topics: [topic],
        handler: async (batch) => {
          deliveries.push({ at: Date.now(), partition: batch.partition, offsets: batch.records.map((r) => r.offset) });
          if (batch.partition === 0 && retryAt === 0) {
            retryAt = Date.now() + 1_500;
            return { consumed: 3, retryAtMs: retryAt };
          }
          return undefined;
        },
      });
      subscriptions.push(subscription);

      await waitFor(
        () =>
          committedEquals(
            groupId,
            topic,
            new Map([
              [0, '10'],
              [1, '1'],
            ]),
          ),
        { ...DEADLINE, description: 'both partitions committed' },
      );
      const heldPartition = deliveries.filter((d) => d.partition === 0);
      expect(heldPartition[0].offsets[0]).toBe('0');
      // The prefix is not handed over again; the rest comes back at its time, not before.
      const rest = heldPartition.slice(1);
      expect(rest.length).toBeGreaterThan(0);
      expect(rest[0].offsets[0]).toBe('3');
      expect(rest[0].at).toBeGreaterThanOrEqual(retryAt - 5);
      expect(rest.flatMap((d) => d.offsets)).toEqual(['3', '4', '5', '6', '7', '8', '9']);
      // The other partition was not held back by the paused one.
      const other = deliveries.find((d) => d.partition === 1);
      expect(other!.at).toBeLessThan(retryAt);
    });

    it('while one partition waits for its due time, records published to another partition after the wait began are delivered', async () => {
      const topic = await createTopic(2);
      await log.publish(topic, [
        { value: 'first', partition: 0 },
        { value: 'held', partition: 0 },
      ]);
      const groupId = unique('group');
      const handled: Array<{ at: number; partition: number; value: string }> = [];
      // Due a while after the handler first sees the held record (a broker's group join takes a
      // moment, so a due time set before subscribing could pass before the first fetch).
      let dueAt: number | undefined;
      const heldOffered: number[] = [];
      const subscription = await log.subscribe({
        groupId,
        topics: [topic],
        handler: async (batch) => {
          const now = Date.now();
          const heldAt = batch.records.findIndex((r) => {
            if (text(r) !== 'held') return false;
            heldOffered.push(now);
            dueAt ??= now + 4_000;
            return now < dueAt;
          });
          const consumed = heldAt === -1 ? batch.records.length : heldAt;
          for (const r of batch.records.slice(0, consumed)) handled.push({ at: now, partition: batch.partition, value: text(r) });
          return heldAt === -1 ? undefined : { consumed, retryAtMs: dueAt };
        },
      });
      subscriptions.push(subscription);
      await waitFor(() => dueAt !== undefined, { ...DEADLINE, description: 'the handler saw the held record' });

      await log.publish(topic, [{ value: 'later', partition: 1 }]);

      const later = await waitFor(() => handled.find((h) => h.value === 'later'), { ...DEADLINE, description: 'the record on the other partition' });
      expect(later.at).toBeLessThan(dueAt!);
      expect(handled.some((h) => h.value === 'held')).toBe(false);
      const held = await waitFor(() => handled.find((h) => h.value === 'held'), { ...DEADLINE, description: 'the held record once due' });
      expect(held.at).toBeGreaterThanOrEqual(dueAt!);
      // Not offered again before its time either (the handler above would only have held it again).
      expect(heldOffered.slice(1).every((at) => at >= dueAt!)).toBe(true);
      expect(handled.filter((h) => h.partition === 0).map((h) => h.value)).toEqual(['first', 'held']);
      await waitFor(
        () =>
          committedEquals(
            groupId,
            topic,
            new Map([
              [0, '2'],
              [1, '1'],
            ]),
          ),
        { ...DEADLINE, description: 'both partitions committed to their end' },
      );
    });

    it('delivers every published record to a group with key, value, headers and timestamp', async () => {
      const topic = await createTopic(3);
      const sent = Array.from({ length: 30 }, (_, i): OutgoingRecord => ({
        key: [`key-${i}`, Buffer.from([0, 255, i]), null][i % 3],
        value: i % 2 === 0 ? `value-${i}` : Buffer.from(`value-${i}`),
        headers: i % 5 === 0 ? {} : { 'x-index': String(i), 'content-type': 'text/plain; charset=utf-8' },
      }));
      const before = Date.now();
      await log.publish(topic, sent.slice(0, 10));
      await log.publish(topic, sent.slice(10));
      const after = Date.now();

      const consumer = await consume({ groupId: unique('group'), topics: [topic] });
      await waitFor(() => consumer.records.length >= 30, { ...DEADLINE, description: 'all 30 records' });

      expect(consumer.records).toHaveLength(30);
      expect(new Set(consumer.records.map((r) => `${r.partition}/${r.offset}`)).size).toBe(30);
      for (const [i, expected] of sent.entries()) {
        const received = consumer.records.find((r) => text(r) === `value-${i}`);
        expect(received).toBeDefined();
        if (!received) continue;
        expect(received.topic).toBe(topic);
        expect(received.partition).toBeGreaterThanOrEqual(0);
        expect(received.partition).toBeLessThan(3);
        expect(received.offset).toMatch(/^\d+$/);
        expect(received.key).toEqual(expected.key === null || expected.key === undefined ? null : Buffer.from(expected.key));
        expect(received.headers).toEqual(expected.headers);
        expect(received.timestamp).toBeGreaterThanOrEqual(before - CLOCK_SKEW_MS);
        expect(received.timestamp).toBeLessThanOrEqual(after + CLOCK_SKEW_MS);
      }
      for (const batch of consumer.batches) {
        for (const record of batch.records) {
          expect(record.topic).toBe(batch.topic);
          expect(record.partition).toBe(batch.partition);
        }
      }
    });

    it('keeps the order of records with the same key', async () => {
      const topic = await createTopic(3);
      const keys = ['order-a', 'order-b'];
      for (let call = 0; call < 10; call++) {
        const records = Array.from({ length: 20 }, (_, i) => {
          const n = call * 20 + i;
          const key = keys[n % 2];
          return { key, value: `${key}:${Math.floor(n / 2)}` };
        });
        await log.publish(topic, records);
      }

      const consumer = await consume({ groupId: unique('group'), topics: [topic], maxBatchRecords: 7 });
      await waitFor(() => consumer.records.length >= 200, { ...DEADLINE, description: '200 records' });

      expect(consumer.records).toHaveLength(200);
      for (const key of keys) {
        const ofKey = consumer.records.filter((r) => r.key?.toString() === key);
        expect(new Set(ofKey.map((r) => r.partition)).size).toBe(1);
        expect(ofKey.map(text)).toEqual(Array.from({ length: 100 }, (_, seq) => `${key}:${seq}`));
        const offsets = ofKey.map((r) => BigInt(r.offset));
        expect(offsets.every((offset, i) => i === 0 || offset > offsets[i - 1])).toBe(true);
      }
    });

    it('delivers everything to each of two groups independently', async () => {
      const topic = await createTopic(2);
      await log.publish(
        topic,
        Array.from({ length: 50 }, (_, i) => ({ key: `k${i % 7}`, value: `v${i}` })),
      );
      const first = await consume({ groupId: unique('group'), topics: [topic] });
      const second = await consume({ groupId: unique('group'), topics: [topic] });

      await waitFor(() => first.records.length >= 50 && second.records.length >= 50, {
        ...DEADLINE,
        description: 'both groups got 50 records',
      });
      const expected = Array.from({ length: 50 }, (_, i) => `v${i}`).sort();
      expect(first.records.map(text).sort()).toEqual(expected);
      expect(second.records.map(text).sort()).toEqual(expected);
    });

    it('commits only after the handler resolves and redelivers a batch whose handler threw', async () => {
      const topic = await createTopic(1);
      const groupId = unique('group');
      await log.publish(
        topic,
        Array.from({ length: 5 }, (_, i) => ({ value: `r${i}` })),
      );
      const deliveries: { offsets: string[]; committed: string | undefined }[] = [];
      const consumer = await consume({
        groupId,
        topics: [topic],
        onBatch: async (batch) => {
          const committed = (await log.committedOffsets(groupId, topic)).get(0);
          deliveries.push({ offsets: batch.records.map((r) => r.offset), committed });
          if (deliveries.length === 1) throw new Error('handler fails on the first delivery');
        },
      });

      await waitFor(() => consumer.records.length >= 5, { ...DEADLINE, description: 'records handled after a retry' });
      await waitFor(() => committedEquals(groupId, topic, new Map([[0, '5']])), {
        ...DEADLINE,
        description: 'offset 5 committed',
      });

      expect(deliveries.length).toBeGreaterThanOrEqual(2);
      expect(deliveries[0].offsets[0]).toBe('0');
      expect(deliveries[1].offsets[0]).toBe('0');
      expect(deliveries[0].committed).toBeUndefined();
      expect(deliveries[1].committed).toBeUndefined();
      expect(consumer.records.map(text)).toEqual(['r0', 'r1', 'r2', 'r3', 'r4']);
    });

    it('status() says consuming, retrying with the error while a handler throws, consuming again, then closed', async () => {
      const topic = await createTopic(1);
      const states: string[] = [];
      let fail = true;
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      const consumer = await consume({
        groupId: unique('group'),
        topics: [topic],
        onBatch: async () => {
          states.push(consumer.subscription.status().state);
          if (fail) {
            fail = false;
            throw new Error('the handler fails once');
          }
          await released;
        },
      });
      expect(consumer.subscription.status().state).toBe('consuming');
      await log.publish(topic, [{ value: 'r0' }]);
      await waitFor(() => states.length >= 2, { ...DEADLINE, description: 'the batch redelivered after the throw' });
      // Seen from inside the redelivery: the failure is reported until a handler call succeeds.
      expect(states).toEqual(['consuming', 'retrying']);
      expect(consumer.subscription.status()).toMatchObject({ state: 'retrying', lastError: 'the handler fails once' });
      release();
      await waitFor(() => consumer.records.length === 1 && consumer.subscription.status().state === 'consuming', {
        ...DEADLINE,
        description: 'consuming again after a successful call',
      });
      await consumer.subscription.close();
      expect(consumer.subscription.status().state).toBe('closed');
    });

    it('close() waits for the in-flight batch and its commit', async () => {
      const topic = await createTopic(1);
      const groupId = unique('group');
      await log.publish(topic, [{ value: 'a' }, { value: 'b' }, { value: 'c' }]);
      const events: string[] = [];
      let release: () => void = () => undefined;
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      const consumer = await consume({
        groupId,
        topics: [topic],
        onBatch: async (batch) => {
          events.push(`start ${batch.records.length}`);
          await gate;
          events.push('end');
        },
      });
      await waitFor(() => events.length > 0, { ...DEADLINE, description: 'the handler started' });

      const closed = consumer.subscription.close().then(() => events.push('closed'));
      release();
      await closed;

      expect(events).toEqual([events[0], 'end', 'closed']);
      const handled = consumer.records.length;
      expect(handled).toBeGreaterThan(0);
      expect(await log.committedOffsets(groupId, topic)).toEqual(new Map([[0, String(handled)]]));
    });

    it('resumes a group after close() at its committed offset without redelivering', async () => {
      const topic = await createTopic(1);
      const groupId = unique('group');
      await log.publish(
        topic,
        Array.from({ length: 5 }, (_, i) => ({ value: `first-${i}` })),
      );
      const first = await consume({ groupId, topics: [topic] });
      await waitFor(() => first.records.length >= 5, { ...DEADLINE, description: 'first 5 records' });
      await first.subscription.close();
      expect(await log.committedOffsets(groupId, topic)).toEqual(new Map([[0, '5']]));

      await log.publish(
        topic,
        Array.from({ length: 5 }, (_, i) => ({ value: `second-${i}` })),
      );
      const second = await consume({ groupId, topics: [topic] });
      await waitFor(() => second.records.length >= 5, { ...DEADLINE, description: 'second 5 records' });

      expect(second.records.map(text)).toEqual(['second-0', 'second-1', 'second-2', 'second-3', 'second-4']);
      expect(second.records.map((r) => r.offset)).toEqual(['5', '6', '7', '8', '9']);
    });

    it('starts a new group with fromBeginning=false at the end: it sees only later records', async () => {
      const topic = await createTopic(2);
      await log.publish(topic, [
        { value: 'before-0', partition: 0 },
        { value: 'before-1', partition: 1 },
        { value: 'before-2', partition: 0 },
      ]);
      const consumer = await consume({ groupId: unique('group'), topics: [topic], fromBeginning: false });

      // Keep publishing until something arrives: adapters may take a moment to join the group.
      let sent = 0;
      await waitFor(
        async () => {
          await log.publish(topic, [{ value: `after-${sent++}` }]);
          return consumer.records.length > 0;
        },
        { ...DEADLINE, description: 'a record published after subscribing' },
      );

      expect(consumer.records.filter((r) => text(r).startsWith('before-'))).toEqual([]);
      expect(consumer.records.every((r) => /^after-\d+$/.test(text(r)))).toBe(true);
    });

    it('replays everything from offset 0 to a fresh group with fromBeginning=true', async () => {
      const topic = await createTopic(2);
      await log.publish(
        topic,
        Array.from({ length: 40 }, (_, i) => ({ value: `v${i}`, partition: i % 2 })),
      );
      const earlier = await consume({ groupId: unique('group'), topics: [topic] });
      await waitFor(() => earlier.records.length >= 40, { ...DEADLINE, description: 'first group read 40' });

      const replay = await consume({ groupId: unique('group'), topics: [topic], fromBeginning: true });
      await waitFor(() => replay.records.length >= 40, { ...DEADLINE, description: 'replay read 40' });

      expect(replay.records.map(text).sort()).toEqual(earlier.records.map(text).sort());
      for (const partition of [0, 1]) {
        const offsets = replay.records.filter((r) => r.partition === partition).map((r) => r.offset);
        expect(offsets).toEqual(Array.from({ length: 20 }, (_, i) => String(i)));
      }
    });

    it('reports end offsets and committed offsets per partition', async () => {
      const topic = await createTopic(3);
      const groupId = unique('group');
      expect(await log.endOffsets(topic)).toEqual(
        new Map([
          [0, '0'],
          [1, '0'],
          [2, '0'],
        ]),
      );
      expect(await log.committedOffsets(groupId, topic)).toEqual(new Map());

      await log.publish(topic, [
        { value: 'a', partition: 0 },
        { value: 'b', partition: 1 },
        { value: 'c', partition: 0 },
        { value: 'd', partition: 0 },
      ]);
      expect(await log.endOffsets(topic)).toEqual(
        new Map([
          [0, '3'],
          [1, '1'],
          [2, '0'],
        ]),
      );

      await consume({ groupId, topics: [topic] });
      const expected = new Map([
        [0, '3'],
        [1, '1'],
      ]);
      await waitFor(() => committedEquals(groupId, topic, expected), { ...DEADLINE, description: 'offsets committed' });
      expect(await log.committedOffsets(groupId, topic)).toEqual(expected);
    });

    it('hands over waiting records in batches of more than one and at most maxBatchRecords', async () => {
      const topic = await createTopic(1);
      for (let call = 0; call < 5; call++) {
        await log.publish(
          topic,
          Array.from({ length: 500 }, (_, i) => ({ value: `v${call * 500 + i}` })),
        );
      }
      const consumer = await consume({ groupId: unique('group'), topics: [topic], maxBatchRecords: 100 });
      await waitFor(() => consumer.records.length >= 2500, { ...DEADLINE, description: '2500 records' });

      const sizes = consumer.batches.map((batch) => batch.records.length);
      expect(Math.max(...sizes)).toBeGreaterThan(1);
      expect(Math.max(...sizes)).toBeLessThanOrEqual(100);
      expect(consumer.records.map((r) => r.offset)).toEqual(Array.from({ length: 2500 }, (_, i) => String(i)));
    });

    it('keeps records and committed offsets across close and reopen (when the adapter can reopen)', async () => {
      if (!fixture.reopen) return;
      const topic = await createTopic(2);
      const groupId = unique('group');
      await log.publish(
        topic,
        Array.from({ length: 20 }, (_, i) => ({ key: `k${i % 3}`, value: `v${i}`, headers: { i: String(i) } })),
      );
      const before = await consume({ groupId, topics: [topic] });
      await waitFor(() => before.records.length >= 20, { ...DEADLINE, description: '20 records before reopen' });
      await before.subscription.close();
      const endOffsets = await log.endOffsets(topic);
      const committed = await log.committedOffsets(groupId, topic);

      log = await fixture.reopen();

      expect(await log.endOffsets(topic)).toEqual(endOffsets);
      expect(await log.committedOffsets(groupId, topic)).toEqual(committed);
      const replay = await consume({ groupId: unique('group'), topics: [topic] });
      await waitFor(() => replay.records.length >= 20, { ...DEADLINE, description: '20 records after reopen' });
      const byPosition = (a: LogRecord, b: LogRecord) => a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset));
      const shape = (r: LogRecord) => ({ ...r, key: r.key?.toString(), value: text(r) });
      expect([...replay.records].sort(byPosition).map(shape)).toEqual([...before.records].sort(byPosition).map(shape));

      await log.publish(topic, [{ key: 'k0', value: 'after-reopen' }]);
      const resumed = await consume({ groupId, topics: [topic] });
      await waitFor(() => resumed.records.length >= 1, { ...DEADLINE, description: 'the record after reopen' });
      expect(resumed.records.map(text)).toEqual(['after-reopen']);
    });

    it('redelivers records that were never committed after reopen (when the adapter can reopen)', async () => {
      if (!fixture.reopen) return;
      const topic = await createTopic(1);
      const groupId = unique('group');
      await log.publish(
        topic,
        Array.from({ length: 5 }, (_, i) => ({ value: `r${i}` })),
      );
      let attempts = 0;
      const crashing = await consume({
        groupId,
        topics: [topic],
        onBatch: () => {
          attempts++;
          throw new Error('the process "dies" before it commits');
        },
      });
      await waitFor(() => attempts > 0, { ...DEADLINE, description: 'a delivery' });
      await crashing.subscription.close();
      expect(await log.committedOffsets(groupId, topic)).toEqual(new Map());

      log = await fixture.reopen();

      const recovered = await consume({ groupId, topics: [topic] });
      await waitFor(() => recovered.records.length >= 5, { ...DEADLINE, description: 'redelivery after reopen' });
      expect(recovered.records.map(text)).toEqual(['r0', 'r1', 'r2', 'r3', 'r4']);
      await waitFor(() => committedEquals(groupId, topic, new Map([[0, '5']])), {
        ...DEADLINE,
        description: 'offset 5 committed after reopen',
      });
    });
    describe('tail', () => {
      it('two tails on one topic both see every record, in order per partition', async () => {
        const topic = await createTopic(2);
        const first = await follow([topic], undefined, 3);
        const second = await follow([topic]);
        for (let call = 0; call < 4; call++) {
          await log.publish(
            topic,
            Array.from({ length: 10 }, (_, i) => ({ value: `v${call * 10 + i}`, partition: i % 2 })),
          );
        }

        await first.tail.caughtUp(DEADLINE);
        await second.tail.caughtUp(DEADLINE);

        const expected = (partition: number) =>
          Array.from({ length: 40 }, (_, n) => n)
            .filter((n) => n % 2 === partition)
            .map((n, i) => `${i}:v${n}`);
        for (const reader of [first, second]) {
          expect(reader.records).toHaveLength(40);
          expect(perPartition(reader.records, 0)).toEqual(expected(0));
          expect(perPartition(reader.records, 1)).toEqual(expected(1));
        }
        expect(Math.max(...first.batches.map((b) => b.records.length))).toBeLessThanOrEqual(3);
        // A tail has no group: nothing shows up as committed anywhere, and groups are unaffected.
        const group = await consume({ groupId: unique('group'), topics: [topic] });
        await waitFor(() => group.records.length >= 40, { ...DEADLINE, description: 'a group still reads all 40' });
      });

      it('a tail opened after the writes sees them from the start', async () => {
        const topic = await createTopic(1);
        await log.publish(
          topic,
          Array.from({ length: 5 }, (_, i) => ({ value: `early-${i}` })),
        );
        const reader = await follow([topic]);

        await reader.tail.caughtUp(DEADLINE);

        expect(reader.records.map(text)).toEqual(['early-0', 'early-1', 'early-2', 'early-3', 'early-4']);
        expect(reader.records.map((r) => r.offset)).toEqual(['0', '1', '2', '3', '4']);
        await log.publish(topic, [{ value: 'later' }]);
        await reader.tail.caughtUp(DEADLINE);
        expect(reader.records.map(text).at(-1)).toBe('later');
      });

      it('caughtUp after a publish resolves only once the handler has applied that record', async () => {
        const topic = await createTopic(2);
        const applied: string[] = [];
        const [opened, release] = gate();
        const entered: string[] = [];
        const reader = await follow([topic], async (batch) => {
          entered.push(...batch.records.map(text));
          if (batch.records.some((r) => text(r) === 'slow')) await opened;
          applied.push(...batch.records.map(text));
        });
        await log.publish(topic, [{ value: 'fast', partition: 0 }]);
        await reader.tail.caughtUp(DEADLINE);
        expect(applied).toEqual(['fast']);

        await log.publish(topic, [{ value: 'slow', partition: 1 }]);
        let resolved = false;
        const caughtUp = reader.tail.caughtUp(DEADLINE).then(() => {
          resolved = true;
          return [...applied];
        });
        await waitFor(() => entered.includes('slow'), { ...DEADLINE, description: 'the handler got the record' });
        expect(resolved).toBe(false);
        release();

        expect(await caughtUp).toEqual(['fast', 'slow']);
      });

      it('caughtUp on an empty topic resolves at once', async () => {
        const topic = await createTopic(3);
        const reader = await follow([topic]);

        await expect(reader.tail.caughtUp({ timeoutMs: 1_000 })).resolves.toBeUndefined();
        expect(reader.records).toEqual([]);
      });

      it('redelivers a batch whose handler threw', async () => {
        const topic = await createTopic(1);
        await log.publish(
          topic,
          Array.from({ length: 5 }, (_, i) => ({ value: `r${i}` })),
        );
        const deliveries: string[][] = [];
        const reader = await follow([topic], (batch) => {
          deliveries.push(batch.records.map((r) => r.offset));
          if (deliveries.length === 1) throw new Error('handler fails on the first delivery');
        });

        await reader.tail.caughtUp(DEADLINE);

        expect(deliveries.length).toBeGreaterThanOrEqual(2);
        expect(deliveries[0][0]).toBe('0');
        expect(deliveries[1][0]).toBe('0');
        expect(reader.records.map(text)).toEqual(['r0', 'r1', 'r2', 'r3', 'r4']);
      });

      it('caughtUp rejects with the coded, retriable error when the handler is stuck', async () => {
        const topic = await createTopic(1);
        const [stuck] = gate();
        let entered = false;
        const reader = await follow([topic], async () => {
          entered = true;
          await stuck;
        });
        await log.publish(topic, [{ value: 'never-applied' }]);
        await waitFor(() => entered, { ...DEADLINE, description: 'the handler got the record' });

        const failure = await reader.tail.caughtUp({ timeoutMs: 300 }).catch((error: unknown) => error);

        expect(failure).toBeInstanceOf(TailNotCaughtUpError);
        expect(failure).toMatchObject({ code: 'tail_not_caught_up', retriable: true });
        expect(reader.records).toEqual([]);
      });

      it('close() stops delivery', async () => {
        const topic = await createTopic(1);
        const closing = await follow([topic]);
        await log.publish(topic, [{ value: 'before-close' }]);
        await closing.tail.caughtUp(DEADLINE);
        await closing.tail.close();

        await log.publish(topic, [{ value: 'after-close-0' }, { value: 'after-close-1' }]);
        // A witness that did get them: by then the closed tail would have too, had it been running.
        const witness = await follow([topic]);
        await witness.tail.caughtUp(DEADLINE);

        expect(witness.records.map(text)).toEqual(['before-close', 'after-close-0', 'after-close-1']);
        expect(closing.records.map(text)).toEqual(['before-close']);
      });
    });
  });
}
