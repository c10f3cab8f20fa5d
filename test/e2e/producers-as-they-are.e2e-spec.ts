import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import request from 'supertest';
import { DEAD_LETTER_HEADERS, HEADERS, TOPICS, type EnrichedFlow } from '@telemetry/contracts';
import { EVENT_LOG, type EventLog, type LogRecord } from '@telemetry/event-log';
import { DedicatedBroker, freePorts, startDedicatedBroker, uniqueName, waitFor } from '@telemetry/testing';
import { RunningProduct, startProduct, TEST_KEY } from './all-in-one.harness';
import { Daemon, GOFLOW2, mustRun, runTool, startDaemon } from './external-tools';
import { writePcap } from './netflow-pcap.builder';

// Issue 8, item 4: direct producers as they really are. Zeek's Kafka plugin writes no key and no
// headers, and with tag_json = T wraps each record in its log's name, every log on one topic;
// Kafka Connect's JsonConverter wraps records in {"schema", "payload"}; goflow2 v2 (built from the
// Go module proxy) collects NetFlow v5 from softflowd and sampled IPFIX from pmacctd and writes
// -format=json and -format=bin. Every shape is enriched and projected (downloaded from the read
// model), or dead-lettered with a stable code and a reason.
//
// The broker is this test's own: headerless records belong to whichever deployment reads them
// (its DEFAULT_TENANT), so on the shared broker they would land in every other test's tenant.

const auth = { Authorization: `Bearer ${TEST_KEY}` };
const FIXTURES = path.resolve(__dirname, '../../fixtures');
const DAY_MS = 86_400_000;

function fixtureLine(file: string): string {
  return fs.readFileSync(path.join(FIXTURES, file), 'utf8').trim();
}

async function download(product: RunningProduct): Promise<EnrichedFlow[]> {
  const response = await request(product.server).get('/v1/download/json?limit=1000').set(auth).expect(200);
  return response.text
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as EnrichedFlow);
}

describe('producers as they are: Zeek plugin and Kafka Connect shapes (kcat), real goflow2 fed by softflowd and pmacctd', () => {
  let broker: DedicatedBroker;
  let product: RunningProduct;
  let log: EventLog;
  let workDir: string;
  const daemons: Daemon[] = [];
  const letters: LogRecord[] = [];
  let closeLetters: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    // Fail first, and plainly, when an external producer is missing: never skip.
    await mustRun('kcat', ['-V']);
    await mustRun(GOFLOW2, ['-v']);
    await mustRun('softflowd', ['-h']).catch(async (error: Error) => {
      // softflowd -h prints its usage and exits 0 or 1 depending on the version; only a missing binary fails.
      if (/not installed/.test(error.message)) throw error;
    });
    await mustRun('pmacctd', ['-V']);
    workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'telemetry-producers-'));
    broker = await startDedicatedBroker();
    // Headerless records belong to the `default` tenant (the enricher does not read DEFAULT_TENANT;
    // the seeded key's tenant is DEFAULT_TENANT): the key must belong to it to download them.
    product = await startProduct('kafka', { KAFKA_BROKERS: broker.brokers, DEFAULT_TENANT: 'default' });
    log = product.app.get<EventLog>(EVENT_LOG);
    const subscription = await log.subscribe({
      groupId: uniqueName('e2e-dlq-reader'),
      topics: [TOPICS.ingestDeadLetter],
      fromBeginning: true,
      handler: async (batch) => {
        letters.push(...batch.records);
      },
    });
    closeLetters = () => subscription.close();
  }, 90_000);

  afterAll(async () => {
    for (const daemon of daemons) await daemon.stop();
    await closeLetters?.();
    await product?.close();
    await broker?.destroy();
    if (workDir) fs.rmSync(workDir, { recursive: true, force: true });
  }, 60_000);

  const produce = (topic: string, lines: string[], extra: string[] = []) =>
    mustRun('kcat', ['-P', '-b', broker.brokers, '-t', topic, ...extra], { stdin: `${lines.join('\n')}\n` });
  const letterFor = (marker: string) => letters.find((letter) => letter.value.toString('utf8').includes(marker));

  it('enriches Zeek tag_json conn, _path conn and Connect envelopes written with no key and no headers; dead-letters other Zeek logs and a 200-character tenant header', async () => {
    const marker = uniqueName('zeek').replace(/[^a-z0-9]/g, '');
    // The fixtures' uids, made unique per run (the shapes are the plugin's and the converter's).
    const zeekLines = [
      'ok/zeek-kafka-tag-json-conn.json',
      'ok/zeek-json-streaming-path-conn.json',
      'ok/kafka-connect-json-struct-zeek-conn.json',
      'not-ok/zeek-kafka-tag-json-dns.json',
      'not-ok/zeek-kafka-tag-json-http.json',
      'not-ok/zeek-json-streaming-path-ssl.json',
    ].map((file) => fixtureLine(file).replace(/"uid":"Cz/, `"uid":"${marker}`));
    const flowLines = ['ok/kafka-connect-json-string-flow.json', 'ok/kafka-connect-json-schemaless-flow.json'].map((file) =>
      fixtureLine(file).replace(/connect-(string|schemaless)/, `connect-$1-${marker}`),
    );
    await produce(TOPICS.ingestZeekConn, zeekLines);
    await produce(TOPICS.ingestFlows, flowLines);
    // A record whose tenant header could never be stored (over 128 characters), then a good one after it.
    const poisoned = fixtureLine('ok/zeek-kafka-tag-json-conn.json').replace(/"uid":"Cz\w+"/, `"uid":"${marker}poisoned"`);
    const after = fixtureLine('ok/zeek-kafka-tag-json-conn.json').replace(/"uid":"Cz\w+"/, `"uid":"${marker}after"`);
    await produce(TOPICS.ingestZeekConn, [poisoned], ['-H', `${HEADERS.tenantId}=${'t'.repeat(200)}`]);
    await produce(TOPICS.ingestZeekConn, [after]);

    const expectedUids = ['TagJson0conn01', 'PathConn000001', 'ConnectStruct1', 'after'].map((suffix) => `${marker}${suffix}`);
    const records = await waitFor(
      async () => {
        const ours = (await download(product)).filter((record) => JSON.stringify(record.original).includes(marker));
        return ours.length >= expectedUids.length + flowLines.length ? ours : undefined;
      },
      { timeoutMs: 45_000, intervalMs: 500, description: 'the Zeek and Connect records enriched and projected' },
    );
    const zeek = records.filter((record) => record.format === 'zeek.conn');
    expect(zeek.map((record) => record.zeek?.uid).sort()).toEqual([...expectedUids].sort());
    for (const record of records) expect(record).toMatchObject({ tenant_id: product.tenant, collector_id: 'default' });
    const byUid = (suffix: string) => zeek.find((record) => record.zeek?.uid === `${marker}${suffix}`)!;
    expect(byUid('TagJson0conn01')).toMatchObject({
      src_ip: '10.20.0.23',
      dst_ip: '45.155.205.233',
      dst_port: 3389,
      bytes: 2_418_000,
      ingest: { topic: TOPICS.ingestZeekConn, envelope: 'zeek-tag-json' },
    });
    // The record under the tag is what is kept as the original.
    expect(byUid('TagJson0conn01').original).toMatchObject({ 'id.orig_h': '10.20.0.23', conn_state: 'SF' });
    expect(byUid('ConnectStruct1')).toMatchObject({ dst_port: 3389, ingest: { envelope: 'kafka-connect' } });
    expect(byUid('PathConn000001')).toMatchObject({ dst_ip: '8.8.4.4', proto: 'udp' });
    expect(byUid('PathConn000001').ingest.envelope).toBeUndefined();

    const flows = records.filter((record) => record.format === 'flows.v1');
    expect(flows).toHaveLength(2);
    for (const flow of flows) expect(flow).toMatchObject({ src_ip: '10.1.2.3', dst_ip: '185.220.101.45', bytes: 1_500_000 });
    expect(flows.map((flow) => flow.ingest.envelope)).toEqual(['kafka-connect', 'kafka-connect']);

    const deadLetters = await waitFor(
      () => {
        const found = ['TagJson0dns001', 'TagJson0http01', 'PathSsl0000001', 'poisoned'].map((suffix) => letterFor(`${marker}${suffix}`));
        return found.every((letter) => letter !== undefined) ? (found as LogRecord[]) : undefined;
      },
      { timeoutMs: 30_000, description: 'the dns, http and ssl records and the poisoned tenant header in the dead-letter topic' },
    );
    const [dns, http, ssl, poisonedLetter] = deadLetters;
    expect(dns.headers).toMatchObject({ [DEAD_LETTER_HEADERS.code]: 'unsupported_zeek_log', [DEAD_LETTER_HEADERS.originalTopic]: TOPICS.ingestZeekConn });
    expect(dns.headers[DEAD_LETTER_HEADERS.reason]).toMatch(/^Zeek log "dns" \(from its tag_json tag\) is not supported/);
    expect(dns.key ?? null).toBeNull();
    expect(http.headers[DEAD_LETTER_HEADERS.reason]).toMatch(/^Zeek log "http"/);
    expect(ssl.headers[DEAD_LETTER_HEADERS.reason]).toMatch(/^Zeek log "ssl" \(from its _path\)/);
    expect(poisonedLetter.headers).toMatchObject({ [DEAD_LETTER_HEADERS.code]: 'invalid_header' });
    expect(poisonedLetter.headers[DEAD_LETTER_HEADERS.reason]).toBe('header tenant-id must be at most 128 characters, got 200');
    expect(poisonedLetter.value.toString('utf8')).toBe(poisoned);
  }, 60_000);

  it('enriches and projects what real goflow2 v2 writes with -format=json and -format=bin: exporter, interfaces, AS, next hop, flags, ToS, duration, sampling, clock skew', async () => {
    const now = Date.now();
    const current = path.join(workDir, 'current.pcap');
    const future = path.join(workDir, 'future.pcap');
    writePcap(current, [
      {
        startMs: now - 20_000,
        src: '10.1.2.3',
        dst: '185.220.101.45',
        srcPort: 55123,
        dstPort: 443,
        protocol: 'tcp',
        packets: 1000,
        packetBytes: 1500,
        tos: 32,
      },
      { startMs: now - 18_000, src: '10.1.2.4', dst: '8.8.8.8', srcPort: 53000, dstPort: 53, protocol: 'udp', packets: 2, packetBytes: 64 },
    ]);
    // A capture dated 50 days ahead: replayed, it is a router whose clock is 50 days off (the softflowd replay).
    writePcap(future, [
      { startMs: now + 50 * DAY_MS, src: '10.9.8.7', dst: '1.1.1.1', srcPort: 40000, dstPort: 3389, protocol: 'tcp', packets: 10, packetBytes: 100 },
    ]);

    const [jsonPort, binPort, jsonHttp, binHttp] = await freePorts(4);
    const goflow2 = async (port: number, http: number, topic: string, format: 'json' | 'bin') => {
      const daemon = await startDaemon(GOFLOW2, [
        `-listen=netflow://127.0.0.1:${port}`,
        // Its default -addr :8080 is the product's port: move its metrics server.
        `-addr=127.0.0.1:${http}`,
        '-transport=kafka',
        `-transport.kafka.brokers=${broker.brokers}`,
        `-transport.kafka.topic=${topic}`,
        '-transport.kafka.flushfreq=200ms',
        `-format=${format}`,
      ]);
      daemons.push(daemon);
      await waitFor(
        async () => {
          if (daemon.child.exitCode !== null) throw new Error(`goflow2 exited: ${daemon.output()}`);
          // Its UDP listener is up ("starting collection") and so is its HTTP server.
          if (!daemon.output().includes('starting collection')) return undefined;
          return (await fetch(`http://127.0.0.1:${http}/metrics`).catch(() => undefined))?.ok ? true : undefined;
        },
        { timeoutMs: 15_000, description: `goflow2 -format=${format} listening` },
      );
      return daemon;
    };
    const jsonCollector = await goflow2(jsonPort, jsonHttp, TOPICS.ingestFlows, 'json');
    const binCollector = await goflow2(binPort, binHttp, TOPICS.ingestGoflow2Protobuf, 'bin');

    for (const port of [jsonPort, binPort]) {
      // softflowd replays the captures and exports NetFlow v5 when it reaches their end.
      await mustRun('softflowd', ['-r', current, '-n', `127.0.0.1:${port}`, '-v', '5', '-d']);
      await mustRun('softflowd', ['-r', future, '-n', `127.0.0.1:${port}`, '-v', '5', '-d']);
      // pmacctd samples 1 packet in 10 and exports IPFIX with the sampling interval.
      const config = path.join(workDir, `pmacctd-${port}.conf`);
      fs.writeFileSync(
        config,
        [
          'daemonize: false',
          `pcap_savefile: ${current}`,
          'pcap_savefile_wait: false',
          'plugins: nfprobe',
          `nfprobe_receiver: 127.0.0.1:${port}`,
          'nfprobe_version: 10',
          'sampling_rate: 10',
          'aggregate: src_host, dst_host, src_port, dst_port, proto, tos, tcpflags',
          'nfprobe_timeouts: expint=1:maxlife=1:general=1',
          '',
        ].join('\n'),
      );
      // At the end of the capture pmacctd stops its plugin and itself; when the plugin is gone first it
      // says "no more plugins active. Shutting down." and exits 1 (seen once in a CI run), having exported
      // everything. What counts is below: the flows arrive.
      const pmacct = await runTool('pmacctd', ['-f', config], { timeoutMs: 20_000 });
      const output = pmacct.stderr + pmacct.stdout;
      if (pmacct.exitCode !== 0 && !(pmacct.exitCode === 1 && output.includes('Shutting down'))) {
        throw new Error(`pmacctd -f ${config} exited with ${pmacct.exitCode}: ${output}`);
      }
    }

    // goflow2 writes the flow type (NETFLOW_V5, IPFIX); the Connect records of the other test have none.
    const isOurs = (record: EnrichedFlow) => typeof record.original.type === 'string' && ['10.1.2.3', '10.1.2.4', '10.9.8.7'].includes(record.src_ip);
    const records = await waitFor(
      async () => {
        const ours = (await download(product)).filter(isOurs);
        const softflowdTcp = ours.filter((record) => record.src_ip === '10.1.2.3' && record.original.type === 'NETFLOW_V5');
        const pmacctTcp = ours.filter((record) => record.src_ip === '10.1.2.3' && record.original.type === 'IPFIX');
        const skewed = ours.filter((record) => record.src_ip === '10.9.8.7');
        return softflowdTcp.length >= 2 && pmacctTcp.length >= 2 && skewed.length >= 2 ? ours : undefined;
      },
      {
        timeoutMs: 30_000,
        intervalMs: 500,
        description: `goflow2's flows enriched and projected (json collector: ${jsonCollector.output().slice(-300)}; bin collector: ${binCollector.output().slice(-300)})`,
      },
    );

    for (const topic of [TOPICS.ingestFlows, TOPICS.ingestGoflow2Protobuf]) {
      const fromTopic = records.filter((record) => record.ingest.topic === topic);
      const envelope = topic === TOPICS.ingestGoflow2Protobuf ? 'goflow2-protobuf' : undefined;
      for (const record of fromTopic) {
        expect(record).toMatchObject({ tenant_id: product.tenant, exporter: '127.0.0.1' });
        expect(record.ingest.envelope).toBe(envelope);
      }

      const softflowd = fromTopic.find((record) => record.src_ip === '10.1.2.3' && record.original.type === 'NETFLOW_V5')!;
      expect(softflowd).toMatchObject({
        dst_ip: '185.220.101.45',
        src_port: 55123,
        dst_port: 443,
        proto: 'tcp',
        bytes: 1_500_000,
        packets: 1000,
        in_if: 0,
        out_if: 0,
        src_as: 0,
        dst_as: 0,
        next_hop: '0.0.0.0',
        // SYN, then PSH|ACK: 0x1a.
        tcp_flags: 26,
        tos: 32,
        ts_source: 'exporter',
      });
      // 1000 packets 1 ms apart.
      expect(softflowd.duration).toBeCloseTo(0.999, 2);
      expect(Math.abs(softflowd.ts - (now - 20_000) / 1000)).toBeLessThan(1);
      expect(Math.abs(softflowd.clock_skew_s!)).toBeLessThan(300);
      expect(softflowd.ti.matches[0]).toMatchObject({ indicator: '185.220.101.0/24' });
      expect(softflowd.sampling_rate).toBeUndefined();

      const pmacct = fromTopic.find((record) => record.src_ip === '10.1.2.3' && record.original.type === 'IPFIX')!;
      expect(pmacct).toMatchObject({ dst_ip: '185.220.101.45', sampling_rate: 10, tos: 32, exporter: '127.0.0.1' });
      expect(pmacct.bytes).toBe(pmacct.sampled_bytes! * 10);
      expect(pmacct.packets).toBe(pmacct.sampled_packets! * 10);
      // About 100 of the 1000 packets sampled: unscaled ~150 kB, scaled ~1.5 MB, over the upload rule's 1 MB.
      expect(pmacct.bytes).toBeGreaterThan(1_000_000);
      expect(pmacct.risk_reasons.map((reason) => reason.code)).toContain('large_upload_from_ephemeral_port');

      const skewed = fromTopic.find((record) => record.src_ip === '10.9.8.7')!;
      expect(skewed).toMatchObject({ dst_ip: '1.1.1.1', dst_port: 3389, ts_source: 'received' });
      // NetFlow v5 dates flows relative to the exporter's uptime and clock; from this replay goflow2
      // derives a time about 50 days off (which side depends on how softflowd fills the v5 header).
      expect(Math.abs(skewed.clock_skew_s!)).toBeGreaterThan(49 * 86_400);
      expect(Math.abs(skewed.exported_ts! * 1000 - now)).toBeGreaterThan(49 * DAY_MS);
      // Dated by its receive time, so its daily index (and any time query) is today's, not 50 days out.
      expect(Math.abs(skewed.ts * 1000 - Date.now())).toBeLessThan(5 * 60_000);
    }
  }, 60_000);
});
