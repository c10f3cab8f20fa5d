import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { DEAD_LETTER_HEADERS, HEADERS, sinkDeadLetterTopic } from '@telemetry/contracts';
import { KafkaEventLog, LogRecord, Subscription } from '@telemetry/event-log';
import {
  FakeHec,
  FAKE_HEC_TOKEN,
  freePorts,
  kafkaBrokers,
  opensearchUrl,
  RunningProcess,
  spawnTypeScript,
  startFakeHec,
  uniqueName,
  waitFor,
  waitHealthy,
} from '@telemetry/testing';
import { writeGeoFixtures } from './all-in-one.harness';

const KEY = 'sink-faults-key-01';

/** A TCP proxy in front of OpenSearch that the test can take down and bring back on the same port. */
async function startProxy(target: URL): Promise<{ url: string; down(): Promise<void>; up(): Promise<void>; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  let server: net.Server | undefined;
  const port = await new Promise<number>((resolve) => {
    const probe = net.createServer().listen(0, '127.0.0.1', () => {
      const chosen = (probe.address() as net.AddressInfo).port;
      probe.close(() => resolve(chosen));
    });
  });
  const up = () =>
    new Promise<void>((resolve) => {
      server = net.createServer((client) => {
        const upstream = net.connect(Number(target.port), target.hostname);
        sockets.add(client).add(upstream);
        client.pipe(upstream).pipe(client);
        const drop = () => {
          client.destroy();
          upstream.destroy();
          sockets.delete(client);
          sockets.delete(upstream);
        };
        client.on('error', drop).on('close', drop);
        upstream.on('error', drop).on('close', drop);
      });
      server.listen(port, '127.0.0.1', () => resolve());
    });
  const down = () =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      sockets.clear();
      if (!server) return resolve();
      server.close(() => resolve());
      server = undefined;
    });
  await up();
  return { url: `http://127.0.0.1:${port}`, down, up, close: down };
}

async function ingest(port: number, marker: string, from: number, count: number, tenant: string): Promise<void> {
  const records = Array.from({ length: count }, (_, i) => ({
    ts: 1732288800 + from + i,
    uid: `${marker}-${from + i}`,
    'id.orig_h': '10.0.0.1',
    'id.orig_p': 40000 + ((from + i) % 20000),
    'id.resp_h': '8.8.8.8',
    'id.resp_p': 53,
    proto: 'udp',
    tenant_hint: tenant,
  }));
  const response = await fetch(`http://127.0.0.1:${port}/v1/ingest/zeek`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${KEY}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(records),
  });
  expect(response.status).toBe(202);
}

async function openSearchUids(indexPrefix: string, tenant: string): Promise<string[]> {
  await fetch(`${opensearchUrl()}/${indexPrefix}*/_refresh`, { method: 'POST' });
  const response = await fetch(`${opensearchUrl()}/${indexPrefix}*/_search`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ size: 1000, _source: ['zeek.uid'], query: { term: { tenant_id: tenant } } }),
  });
  if (response.status === 404) return [];
  const body = (await response.json()) as { hits?: { hits: Array<{ _source: { zeek?: { uid?: string } } }> } };
  return (body.hits?.hits ?? []).map((hit) => hit._source.zeek?.uid ?? '');
}

describe('sinks under faults (distributed mode on real Kafka)', () => {
  const running: RunningProcess[] = [];
  let hec: FakeHec;
  let proxy: Awaited<ReturnType<typeof startProxy>>;
  let dir: string;
  let indexPrefix: string;
  let log: KafkaEventLog;
  const subscriptions: Subscription[] = [];

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sink-faults-'));
    hec = await startFakeHec({ ackEnabled: true });
    proxy = await startProxy(new URL(opensearchUrl()));
    indexPrefix = uniqueName('faults').toLowerCase();
    log = await KafkaEventLog.connect({ brokers: kafkaBrokers(), clientId: 'sink-faults-test' });
  });

  afterAll(async () => {
    await Promise.all(subscriptions.map((subscription) => subscription.close()));
    await Promise.all(running.splice(0).map((process) => process.kill()));
    await log?.close();
    await hec?.close();
    await proxy?.close();
    await fetch(`${opensearchUrl()}/${indexPrefix}*`, { method: 'DELETE' }).catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('destinations down mid-stream and a kill -9 of a sink: every flow ends in its destination (OpenSearch exactly once, HEC at least once) or in the DLQ with its reason', async () => {
    const tenant = uniqueName('tenant');
    const geo = writeGeoFixtures(dir);
    const [ingestPort, enricherPort, splunkPort, elasticPort] = await freePorts(4);
    const env = {
      KAFKA_BROKERS: kafkaBrokers().join(','),
      API_KEY: KEY,
      DEFAULT_TENANT: tenant,
      KAFKA_GROUP_PREFIX: uniqueName('faults'),
      GEOIP_DB_CITY: geo.city,
      GEOIP_DB_ASN: geo.asn,
      DATA_DIR: dir,
      LOG_LEVEL: 'warn',
      HOST: '127.0.0.1',
      SPLUNK_HEC_URL: hec.url,
      SPLUNK_HEC_TOKEN: FAKE_HEC_TOKEN,
      SPLUNK_HEC_ACK: 'true',
      SPLUNK_HEC_ACK_TIMEOUT_MS: '3000',
      ELASTIC_URL: proxy.url,
      ELASTIC_INDEX_PATTERN: `${indexPrefix}-{yyyy.MM.dd}`,
      SINK_RETRY_DELAYS_MS: '1000,2000,4000,8000,16000',
      SINK_BATCH_MAX_RECORDS: '25',
    };
    const start = (entry: string, port: number) => {
      const process = spawnTypeScript(entry, { ...env, PORT: String(port) });
      running.push(process);
      return process;
    };
    const apps = {
      ingest: start('apps/ingest-api/src/main.ts', ingestPort),
      enricher: start('apps/enricher/src/main.ts', enricherPort),
      splunk: start('apps/sink-splunk/src/main.ts', splunkPort),
      elastic: start('apps/sink-elastic/src/main.ts', elasticPort),
    };
    await Promise.all([
      waitHealthy(ingestPort, apps.ingest),
      waitHealthy(enricherPort, apps.enricher),
      waitHealthy(splunkPort, apps.splunk),
      waitHealthy(elasticPort, apps.elastic),
    ]);

    const deadLetters: LogRecord[] = [];
    for (const sink of ['splunk', 'elastic']) {
      subscriptions.push(
        await log.subscribe({
          groupId: uniqueName('dlq-reader'),
          topics: [sinkDeadLetterTopic(sink)],
          fromBeginning: true,
          handler: async (batch) => void deadLetters.push(...batch.records.filter((record) => record.headers[HEADERS.tenantId] === tenant)),
        }),
      );
    }

    const marker = uniqueName('flow');
    const total = 300;
    await ingest(ingestPort, marker, 0, 100, tenant);
    // Both destinations go down mid-stream.
    await waitFor(() => hec.events.some((event) => (event.event as { tenant_id?: string }).tenant_id === tenant), {
      timeoutMs: 60_000,
      description: 'the first flows in HEC',
    });
    await hec.setDown(true, 'unavailable');
    await proxy.down();
    await ingest(ingestPort, marker, 100, 100, tenant);
    // kill -9 the Splunk sink mid-stream, and start it again while HEC is still down.
    await apps.splunk.kill();
    await ingest(ingestPort, marker, 200, 100, tenant);
    apps.splunk = start('apps/sink-splunk/src/main.ts', splunkPort);
    await waitHealthy(splunkPort, apps.splunk);
    await hec.setDown(false);
    await proxy.up();

    const expected = new Set(Array.from({ length: total }, (_, i) => `${marker}-${i}`));
    const deadUids = () => new Map(deadLetters.map((letter) => [(JSON.parse(letter.value.toString()) as { zeek?: { uid?: string } }).zeek?.uid ?? '', letter]));
    const hecUids = () =>
      hec.events
        .map((event) => event.event as { zeek?: { uid?: string }; tenant_id?: string })
        .filter((event) => event.tenant_id === tenant)
        .map((event) => event.zeek?.uid ?? '');

    await waitFor(
      async () => {
        const inHec = new Set(hecUids());
        const inOpenSearch = new Set(await openSearchUids(indexPrefix, tenant));
        const dead = deadUids();
        return [...expected].every((uid) => (inHec.has(uid) || dead.has(uid)) && (inOpenSearch.has(uid) || dead.has(uid)));
      },
      { timeoutMs: 150_000, intervalMs: 500, description: 'every flow in each destination or in its DLQ' },
    );

    // The outage really sent items through the retry topics (the Elastic sink ran throughout).
    const metrics = await (await fetch(`http://127.0.0.1:${elasticPort}/v1/metrics/prometheus`)).text();
    const retried = Number(/telemetry_sink_items_total\{sink="elastic",outcome="retried"\} (\d+)/.exec(metrics)?.[1] ?? 0);
    expect(retried).toBeGreaterThan(0);
    // OpenSearch: exactly once (the event id is the document _id).
    const openSearch = await openSearchUids(indexPrefix, tenant);
    expect(openSearch.length).toBe(new Set(openSearch).size);
    // HEC: at least once; duplicates are counted, not hidden.
    const delivered = hecUids();
    const duplicates = delivered.length - new Set(delivered).size;
    console.log(
      `sink faults: ${total} flows, HEC events ${delivered.length} (duplicates ${duplicates}), OpenSearch docs ${openSearch.length}, dead letters ${deadLetters.length}`,
    );
    for (const letter of deadLetters) {
      expect(letter.headers[DEAD_LETTER_HEADERS.code]).toEqual(expect.any(String));
      expect(letter.headers[DEAD_LETTER_HEADERS.reason]).toEqual(expect.any(String));
      expect(letter.headers[DEAD_LETTER_HEADERS.originalTopic]).toBe('telemetry.enriched.v1');
    }
  });
});
