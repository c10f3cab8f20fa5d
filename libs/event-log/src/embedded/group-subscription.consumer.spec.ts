import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '@telemetry/testing';
import type { BatchResult, RecordBatch, Subscription } from '../event-log.port';
import { EmbeddedEventLog } from './embedded.event-log';

const silent = { warn: () => undefined, error: () => undefined };

describe('GroupSubscriptionConsumer paused partitions', () => {
  let dataDir: string;
  let log: EmbeddedEventLog;
  const subscriptions: Subscription[] = [];

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'group-subscription-'));
    log = await EmbeddedEventLog.open({ dataDir, logger: silent });
  });

  afterEach(async () => {
    await Promise.all(subscriptions.splice(0).map((subscription) => subscription.close()));
    await log.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  // The scan captures `now` once; a partition whose due time falls between that scan and the idle
  // wait must still wake the consumer, without any further append to the topic.
  it.each([
    ['is due by the time the consumer goes idle', () => Date.now()],
    ['was already due when the handler named it', () => Date.now() - 1_000],
  ])('offers the rest of a paused partition again when its retry time %s, with no further appends', async (_, retryAt) => {
    await log.ensureTopics([{ name: 'quiet', partitions: 1, retentionMs: -1 }]);
    await log.publish('quiet', [{ value: 'held-0' }, { value: 'held-1' }]);
    const deliveries: string[][] = [];
    let paused = false;
    const subscription = await log.subscribe({
      groupId: 'delayed-retry',
      topics: ['quiet'],
      handler: async (batch: RecordBatch): Promise<void | BatchResult> => {
        if (!paused) {
          paused = true;
          return { consumed: 0, retryAtMs: retryAt() };
        }
        deliveries.push(batch.records.map((record) => record.value.toString()));
        return undefined;
      },
    });
    subscriptions.push(subscription);

    await waitFor(() => deliveries.length > 0, { timeoutMs: 5_000, description: 'the held records delivered' });
    expect(deliveries).toEqual([['held-0', 'held-1']]);
    await waitFor(async () => (await log.committedOffsets('delayed-retry', 'quiet')).get(0) === '2', {
      timeoutMs: 5_000,
      description: 'offset 2 committed',
    });
  });

  it('wakes for a paused partition that came due while another partition was being handled', async () => {
    await log.ensureTopics([{ name: 'window', partitions: 2, retentionMs: -1 }]);
    await log.publish('window', [
      { value: 'held', partition: 0 },
      { value: 'slow', partition: 1 },
    ]);
    const delivered: string[] = [];
    let heldDue = 0;
    let slowPaused = false;
    const subscription = await log.subscribe({
      groupId: 'window-group',
      topics: ['window'],
      handler: async (batch): Promise<void | BatchResult> => {
        if (batch.partition === 0 && heldDue === 0) {
          heldDue = Date.now() + 50;
          return { consumed: 0, retryAtMs: heldDue };
        }
        if (batch.partition === 1 && !slowPaused) {
          // Handled in the same scan, after partition 0 paused: it returns only once partition 0 is
          // due, then pauses itself for a long time. Nothing is appended afterwards.
          slowPaused = true;
          await waitFor(() => Date.now() > heldDue, { timeoutMs: 5_000, description: 'partition 0 due' });
          return { consumed: 0, retryAtMs: Date.now() + 60_000 };
        }
        delivered.push(...batch.records.map((record) => record.value.toString()));
        return undefined;
      },
    });
    subscriptions.push(subscription);

    await waitFor(() => delivered.includes('held'), { timeoutMs: 5_000, description: 'the held record delivered' });
    expect(delivered).toEqual(['held']);
  });

  it('sleeps until a paused partition is due and then delivers it, while another partition goes on', async () => {
    await log.ensureTopics([{ name: 'paused', partitions: 2, retentionMs: -1 }]);
    await log.publish('paused', [
      { value: 'held', partition: 0 },
      { value: 'other', partition: 1 },
    ]);
    const delivered: Array<{ value: string; at: number }> = [];
    let retryAt = 0;
    const subscription = await log.subscribe({
      groupId: 'paused-group',
      topics: ['paused'],
      handler: async (batch) => {
        if (batch.partition === 0 && retryAt === 0) {
          retryAt = Date.now() + 300;
          return { consumed: 0, retryAtMs: retryAt };
        }
        for (const record of batch.records) delivered.push({ value: record.value.toString(), at: Date.now() });
        return undefined;
      },
    });
    subscriptions.push(subscription);

    await waitFor(() => delivered.some((d) => d.value === 'held'), { timeoutMs: 5_000, description: 'the held record' });
    const held = delivered.find((d) => d.value === 'held')!;
    const other = delivered.find((d) => d.value === 'other')!;
    expect(held.at).toBeGreaterThanOrEqual(retryAt);
    expect(other.at).toBeLessThan(retryAt);
  });
});
