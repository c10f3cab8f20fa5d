import { TOPICS } from '@telemetry/contracts';
import { InMemoryEventLog, type RecordBatch } from '@telemetry/event-log';
import { waitFor } from '@telemetry/testing';
import { ConfigReader } from '../config/config-reader';
import { readPlatformConfig } from '../config/platform.config';
import { EventLogTransport } from '../consumers/event-log.transport';
import { PingableDatabase } from './health.tokens';
import { ReadinessService } from './readiness.service';

/*
 * The readiness service over the real in-memory event log and the real event-log transport: what
 * /health/ready answers as consumers subscribe, fail and recover, the database answers or not, and
 * the process shuts down.
 */

const TOPIC = 'readiness-spec.v1';

function config(env: Record<string, string> = {}) {
  return readPlatformConfig(new ConfigReader({ READINESS_CACHE_MS: '0', ...env }), 'spec', []);
}

/** A transport with one group over TOPIC whose handler fails while `failing.now` is true. */
async function listeningTransport(log: InMemoryEventLog, failing: { now: boolean }): Promise<EventLogTransport> {
  const transport = new EventLogTransport(log, { groupPrefix: 'spec' });
  transport.addHandler(
    TOPIC,
    async (batch: RecordBatch) => {
      if (failing.now) throw new Error(`cannot write ${batch.records.length} record(s): connection refused`);
    },
    true,
    { group: 'projection' },
  );
  await new Promise<void>((resolve, reject) => transport.listen((error?: unknown) => (error ? reject(error) : resolve())));
  return transport;
}

const database = (ping: () => Promise<void>): PingableDatabase => ({ dialect: 'postgres', ping });

describe('ReadinessService', () => {
  let log: InMemoryEventLog;
  let transport: EventLogTransport | undefined;

  beforeEach(async () => {
    log = new InMemoryEventLog();
    // The control topic is what a process without consumers pings (the apps create it at start).
    await log.ensureTopics([
      { name: TOPIC, partitions: 1, retentionMs: -1 },
      { name: TOPICS.control, partitions: 1, retentionMs: -1 },
    ]);
  });

  afterEach(async () => {
    await transport?.close();
    transport = undefined;
    await log.close();
  });

  it('is not ready before the transport has subscribed its consumers, and ready once it has', async () => {
    const unsubscribed = new EventLogTransport(log, { groupPrefix: 'spec' });
    const before = await new ReadinessService(log, unsubscribed, config()).check();
    expect(before.ready).toBe(false);
    expect(before.body).toMatchObject({
      status: 'error',
      failed: ['consumers'],
      message: 'Not ready: consumers: the consumers are not subscribed yet (the process is starting)',
    });

    transport = await listeningTransport(log, { now: false });
    const after = await new ReadinessService(
      log,
      transport,
      config(),
      database(async () => undefined),
    ).check();
    expect(after).toEqual({
      ready: true,
      body: {
        status: 'ok',
        checks: {
          event_log: { status: 'up', latency_ms: expect.any(Number), kind: 'embedded' },
          database: { status: 'up', latency_ms: expect.any(Number), kind: 'postgres' },
          consumers: {
            status: 'up',
            subscribed: true,
            groups: [{ group: 'spec-projection', topics: [TOPIC], state: 'consuming', for_ms: expect.any(Number), ready: true }],
          },
        },
      },
    });
  });

  it('names a consumer whose handler keeps failing past the grace, and is ready again once it recovers', async () => {
    const failing = { now: true };
    transport = await listeningTransport(log, failing);
    const readiness = new ReadinessService(log, transport, config({ READINESS_RETRY_GRACE_MS: '0' }));
    await log.publish(TOPIC, [{ value: 'a record' }]);

    const down = await waitFor(async () => {
      const report = await readiness.check();
      return report.ready ? undefined : report.body;
    });
    expect(down).toMatchObject({ status: 'error', error: 'not_ready', failed: ['consumers'] });
    expect(down.status === 'error' && down.message).toMatch(
      /^Not ready: consumers: consumer spec-projection \(readiness-spec\.v1\) has been retrying for [\d.]+ s, longer than READINESS_RETRY_GRACE_MS \(0 ms\): cannot write 1 record\(s\): connection refused$/,
    );

    failing.now = false;
    const up = await waitFor(async () => ((await readiness.check()).ready ? true : undefined));
    expect(up).toBe(true);
  });

  it('reports the database down with its error, and the event log down when it does not answer', async () => {
    transport = await listeningTransport(log, { now: false });
    const noDatabase = database(async () => {
      throw new Error('connect ECONNREFUSED 127.0.0.1:5432');
    });
    const report = await new ReadinessService(log, transport, config(), noDatabase).check();
    expect(report.body).toMatchObject({
      status: 'error',
      failed: ['database'],
      message: 'Not ready: database: connect ECONNREFUSED 127.0.0.1:5432',
      checks: { database: { status: 'down', reason: 'connect ECONNREFUSED 127.0.0.1:5432' }, event_log: { status: 'up' }, consumers: { status: 'up' } },
    });

    class UnreachableLog extends InMemoryEventLog {
      override async endOffsets(): Promise<Map<number, string>> {
        throw new Error('Connection error: connect ECONNREFUSED 127.0.0.1:9092');
      }
    }
    const unreachable = new UnreachableLog();
    const hung = new ReadinessService(unreachable, transport, config());
    expect((await hung.check()).body).toMatchObject({
      failed: ['event_log'],
      checks: { event_log: { status: 'down', reason: 'Connection error: connect ECONNREFUSED 127.0.0.1:9092' } },
    });
    await unreachable.close();
  });

  it('counts a broker that answers "unknown topic" as reachable', async () => {
    class NoSuchTopicLog extends InMemoryEventLog {
      override async endOffsets(): Promise<Map<number, string>> {
        throw Object.assign(new Error('This server does not host this topic-partition'), { type: 'UNKNOWN_TOPIC_OR_PARTITION' });
      }
    }
    const answering = new NoSuchTopicLog();
    const unsubscribedButListening = new EventLogTransport(answering, { groupPrefix: 'spec' });
    await new Promise<void>((resolve) => unsubscribedButListening.listen(() => resolve()));
    expect((await new ReadinessService(answering, unsubscribedButListening, config()).check()).ready).toBe(true);
    await answering.close();
  });

  it('is not ready once the process begins to shut down', async () => {
    transport = await listeningTransport(log, { now: false });
    const readiness = new ReadinessService(log, transport, config());
    expect((await readiness.check()).ready).toBe(true);
    readiness.beforeApplicationShutdown();
    expect((await readiness.check()).body).toMatchObject({
      failed: ['event_log'],
      checks: { event_log: { status: 'down', reason: 'the process is shutting down' } },
    });
  });
});
