import { waitFor } from '@telemetry/testing';
import { EventLogUnavailableError, type LogRecord } from '../event-log.port';
import { describeEventLogContract } from '../testing/event-log.contract';
import { InMemoryEventLog } from './in-memory.event-log';

describeEventLogContract('in-memory', async () => {
  let current = new InMemoryEventLog();
  return {
    log: current,
    reopen: async () => {
      await current.close();
      current = new InMemoryEventLog({ storage: current.storage });
      return current;
    },
    teardown: () => current.close(),
  };
});

describe('InMemoryEventLog fault injection', () => {
  let log: InMemoryEventLog;

  beforeEach(async () => {
    log = new InMemoryEventLog();
    await log.ensureTopics([{ name: 'faults', partitions: 2, retentionMs: -1 }]);
  });

  afterEach(() => log.close());

  it('failNextPublish rejects that one publish, writes nothing, and the next one goes through', async () => {
    const refused = new EventLogUnavailableError('broker down');
    log.failNextPublish(refused);

    await expect(log.publish('faults', [{ key: 'k', value: 'lost' }])).rejects.toBe(refused);
    expect(log.records('faults')).toEqual([]);
    await log.publish('faults', [{ key: 'k', value: 'kept' }]);
    expect(log.records('faults').map((r) => r.value.toString())).toEqual(['kept']);
  });

  it('holdNextPublish keeps the publish pending and invisible until released', async () => {
    const held = log.holdNextPublish();
    const received: LogRecord[] = [];
    const subscription = await log.subscribe({ groupId: 'g', topics: ['faults'], handler: async (batch) => void received.push(...batch.records) });
    let settled = false;
    const publishing = log.publish('faults', [{ key: 'k', value: 'held' }]).then(() => (settled = true));
    await held.reached;

    expect(settled).toBe(false);
    expect(await log.endOffsets('faults')).toEqual(
      new Map([
        [0, '0'],
        [1, '0'],
      ]),
    );
    held.release();
    await publishing;

    expect(log.records('faults').map((r) => r.value.toString())).toEqual(['held']);
    await waitFor(() => received.length === 1, { timeoutMs: 5_000, description: 'the released record delivered' });
    await subscription.close();
  });

  it('a held publish can be failed instead, and writes nothing', async () => {
    const held = log.holdNextPublish();
    const publishing = log.publish('faults', [{ value: 'x' }]);
    await held.reached;
    held.fail(new EventLogUnavailableError('gave up'));

    await expect(publishing).rejects.toMatchObject({ code: 'event_log_unavailable' });
    expect(log.records('faults')).toEqual([]);
  });

  it('rejects unknown topics and bad partitions with coded errors, and refuses publishes after close', async () => {
    await expect(log.publish('missing', [{ value: 'x' }])).rejects.toMatchObject({ code: 'unknown_topic' });
    await expect(log.publish('faults', [{ value: 'x', partition: 2 }])).rejects.toMatchObject({ code: 'invalid_partition' });
    await log.close();
    await expect(log.publish('faults', [{ value: 'x' }])).rejects.toBeInstanceOf(EventLogUnavailableError);
  });
});
