import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import request from 'supertest';
import {
  canonicalFormat,
  DEAD_LETTER_HEADERS,
  FRAME_HEADERS,
  HEADERS,
  NDJSON_CONTENT_TYPE,
  TOPICS,
  type EnrichedFlow,
  type IngressFormat,
} from '@telemetry/contracts';
import { normalize } from '@telemetry/enrichment';
import { EVENT_LOG, type EventLog, type LogRecord } from '@telemetry/event-log';
import { kafkaBrokers, uniqueName, waitFor } from '@telemetry/testing';
import { RunningProduct, SAMPLES, startProduct, TEST_KEY } from './all-in-one.harness';

// Issue 3: direct Kafka producers. A real external producer (Debian's kcat, librdkafka) writes
// Zeek conn JSON, one object per message as Zeek's Kafka plugin does, and goflow2 JSON lines into
// the ingress topics with the documented headers (docs/ingress-topics.md); every valid record comes
// out enriched for the tenant named in the header, and invalid messages land in the ingest
// dead-letter topic with the reason and their original coordinates and bytes.

const auth = { Authorization: `Bearer ${TEST_KEY}` };

const KCAT_MISSING =
  'kcat is not installed, and this test drives the ingress topics with it as a real external producer. ' +
  'Install it: `apt-get update && apt-get install -y kcat` (Debian/Ubuntu; .ci/run does this), or `brew install kcat`.';

interface KcatResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the real kcat binary; resolves with its exit code, fails with install instructions when it is missing. */
function kcat(args: readonly string[], stdin?: string): Promise<KcatResult> {
  return new Promise((resolve, reject) => {
    const child = execFile('kcat', args, { timeout: 60_000, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error === null) {
        resolve({ exitCode: 0, stdout, stderr });
      } else if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        reject(new Error(KCAT_MISSING));
      } else if (typeof error.code === 'number') {
        resolve({ exitCode: error.code, stdout, stderr });
      } else {
        reject(new Error(`kcat ${args.join(' ')} did not finish (${error.signal ?? error.message}): ${stderr}`));
      }
    });
    // When the binary is missing, writing stdin fails too; the callback above reports why.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(stdin ?? '');
  });
}

async function produce(args: readonly string[], stdin?: string): Promise<void> {
  const result = await kcat(['-P', '-b', kafkaBrokers().join(','), ...args], stdin);
  if (result.exitCode !== 0) throw new Error(`kcat -P ${args.join(' ')} exited with ${result.exitCode}: ${result.stderr}`);
}

function sampleLines(file: string): Array<Record<string, unknown>> {
  return fs
    .readFileSync(path.join(SAMPLES, file), 'utf8')
    .split('\n')
    .filter((line) => line.trim().length > 0)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

async function download(product: RunningProduct): Promise<EnrichedFlow[]> {
  const response = await request(product.server).get('/v1/download/json?limit=1000').set(auth).expect(200);
  return response.text
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as EnrichedFlow);
}

/** kcat -J output: one JSON envelope per message, headers as a flat [name, value, name, value…] list. */
interface KcatMessage {
  readonly partition: number;
  readonly offset: number;
  readonly headers?: string[];
  readonly key: string | null;
  readonly payload: string | null;
}

function headersOf(message: KcatMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  const list = message.headers ?? [];
  for (let i = 0; i + 1 < list.length; i += 2) headers[list[i]] = list[i + 1];
  return headers;
}

describe('the samples for direct producers', () => {
  const ctx = { tenantId: 't', collectorId: 'c', topic: 'samples', partition: 0, offset: '0', receivedAt: '2024-11-22T16:00:00.000Z' };

  it.each([
    ['zeek_conn.ndjson', 'zeek.conn'],
    ['goflow2.ndjson', 'flows.v1'],
  ] as const)('every line of %s is accepted by the enricher as %s', (file, format) => {
    const lines = sampleLines(file);
    expect(lines.length).toBeGreaterThanOrEqual(4);
    for (const record of lines) {
      const result = normalize(format, record, ctx);
      expect(result.ok ? 'ok' : result.error).toBe('ok');
    }
  });

  it.each(['netflow_ipfix.json', 'netflow_v9.json', 'flows_v1.json', 'zeek_conn.json'])(
    'every record of the %s envelope is accepted by the enricher',
    (file) => {
      const envelope = JSON.parse(fs.readFileSync(path.join(SAMPLES, file), 'utf8')) as { format: string; records: Array<Record<string, unknown>> };
      const format = canonicalFormat(envelope.format) as IngressFormat;
      expect(format).toBeDefined();
      for (const record of envelope.records) {
        const result = normalize(format, record, ctx);
        expect(result.ok ? 'ok' : result.error).toBe('ok');
      }
    },
  );
});

describe('direct Kafka producers: kcat → ingress topics → enriched for the header tenant, invalid → dead-letter topic', () => {
  let product: RunningProduct;
  let log: EventLog;

  beforeAll(async () => {
    // Fail first, and plainly, when the external producer is missing: never skip.
    const version = await kcat(['-V']);
    expect(version.exitCode).toBe(0);
    product = await startProduct('kafka');
    log = product.app.get<EventLog>(EVENT_LOG);
  });

  afterAll(async () => {
    await product?.close();
  });

  it('enriches Zeek conn and goflow2 JSON written by kcat, carries traceparent, and dead-letters invalid messages with the reason and coordinates', async () => {
    const tenant = product.tenant;
    const marker = uniqueName('kcat-marker');
    const traceparent = `00-${Buffer.from(uniqueName('trace')).toString('hex').padEnd(32, '0').slice(0, 32)}-00f067aa0ba902b7-01`;
    const zeek = sampleLines('zeek_conn.ndjson');
    const goflow = sampleLines('goflow2.ndjson');
    const enrichedStart = await log.endOffsets(TOPICS.enriched);

    // (a) Zeek conn, one JSON object per message, keyed by sensor (-K: splits key:value at the first colon).
    const zeekText = fs.readFileSync(path.join(SAMPLES, 'zeek_conn.ndjson'), 'utf8');
    const keyedZeek = zeekText
      .split('\n')
      .filter((line) => line.trim().length > 0)
      .map((line) => `zeek-sensor-1:${line}\n`)
      .join('');
    await produce(
      [
        '-t',
        TOPICS.ingestZeekConn,
        '-K',
        ':',
        '-H',
        `${HEADERS.tenantId}=${tenant}`,
        '-H',
        `${HEADERS.traceparent}=${traceparent}`,
        '-H',
        `${HEADERS.collectorId}=zeek-sensor-1`,
      ],
      keyedZeek,
    );
    // (b) goflow2 JSON lines straight from the file, unkeyed as goflow2 writes without hashing, and
    // gzip-compressed (the one producer compression the consumer decodes; see docs/ingress-topics.md).
    await produce([
      '-t',
      TOPICS.ingestFlows,
      '-z',
      'gzip',
      '-H',
      `${HEADERS.tenantId}=${tenant}`,
      '-H',
      `${HEADERS.collectorId}=goflow2-1`,
      '-l',
      path.join(SAMPLES, 'goflow2.ndjson'),
    ]);
    // (c) Invalid: not JSON on the Zeek topic; JSON without a destination address on the flows topic.
    const notJson = `{"uid":"${marker}", "id.orig_h": "10.9.9.9" this is not JSON`;
    const noDestination = JSON.stringify({
      TimeFlowStartNs: 1732291206000000000,
      SrcAddr: '10.1.2.9',
      SrcPort: 53001,
      DstPort: 53,
      Proto: 17,
      Bytes: 64,
      Packets: 1,
      marker,
    });
    await produce(['-t', TOPICS.ingestZeekConn, '-K', ':', '-H', `${HEADERS.tenantId}=${tenant}`], `bad-sensor:${notJson}\n`);
    await produce(['-t', TOPICS.ingestFlows, '-K', ':', '-H', `${HEADERS.tenantId}=${tenant}`], `bad-exporter:${noDestination}\n`);

    // Every valid record enriched and downloadable for the tenant of the header (the key's tenant).
    const records = await waitFor(
      async () => {
        const current = await download(product);
        return current.length >= zeek.length + goflow.length ? current : undefined;
      },
      { timeoutMs: 90_000, description: `${zeek.length + goflow.length} records produced by kcat enriched and downloadable` },
    );
    expect(records).toHaveLength(zeek.length + goflow.length);
    for (const record of records) {
      expect(record.tenant_id).toBe(tenant);
      expect(record).toHaveProperty('geo.src');
      expect(record).toHaveProperty('geo.dst');
      expect(record).toHaveProperty('asn.dst');
      expect(Array.isArray(record.ti.matches)).toBe(true);
      expect(record.risk_score).toBeGreaterThanOrEqual(0);
      expect(record.risk_score).toBeLessThanOrEqual(100);
      expect(record.risk_reasons.map((reason) => reason.code)).toContain('base');
    }

    const zeekRecords = records.filter((record) => record.format === 'zeek.conn');
    expect(zeekRecords).toHaveLength(zeek.length);
    for (const record of zeekRecords) {
      expect(record.collector_id).toBe('zeek-sensor-1');
      expect(record.ingest.topic).toBe(TOPICS.ingestZeekConn);
      // The record as Zeek wrote it is kept, byte for byte equal as JSON.
      expect(zeek).toContainEqual(record.original);
    }
    const byUid = (uid: string) => zeekRecords.find((record) => record.zeek?.uid === uid)!;

    const dns = byUid('CkZb8x2Q7e1Xh4Vd3a');
    expect(dns).toMatchObject({ src_ip: '10.20.0.15', dst_ip: '8.8.8.8', dst_port: 53, proto: 'udp', bytes: 132, risk_score: 10 });
    expect(dns.geo.dst).toMatchObject({ country: 'US', city: 'Mountain View' });
    expect(dns.asn.dst).toMatchObject({ number: 15169, organization: 'GOOGLE' });

    const rdp = byUid('C9mWqv3R0aTtYgJ5Ce');
    expect(rdp).toMatchObject({ dst_ip: '45.155.205.233', dst_port: 3389, proto: 'tcp', risk_score: 90 });
    expect(rdp.geo.dst).toMatchObject({ country: 'NL', city: 'Amsterdam' });
    expect(rdp.asn.dst).toMatchObject({ number: 49870 });
    expect(rdp.ti.matches).toEqual([expect.objectContaining({ indicator: '45.155.205.233', category: 'C2', field: 'dst_ip' })]);
    expect(rdp.risk_reasons.map((reason) => reason.code).sort()).toEqual(['base', 'large_upload_from_ephemeral_port', 'sensitive_port', 'threat_intel_match']);

    const ipv6 = byUid('CtPq4H1sZk0u8NvB2f');
    expect(ipv6).toMatchObject({ dst_ip: '2001:4860:4860::8888', risk_score: 10 });
    expect(ipv6.geo.dst).toMatchObject({ country: 'US' });
    expect(ipv6.asn.dst).toMatchObject({ number: 15169 });

    // Kafka::json_timestamps = JSON::TS_ISO8601, and unset fields omitted as Zeek does.
    const iso = byUid('CHr2eW4bDk9pQmZ1Xa');
    // The samples are dated 2024: far beyond MAX_CLOCK_SKEW_S from their receive time, so the
    // receive time dates them and the sensor's time is kept as exported_ts.
    expect(iso).toMatchObject({ dst_ip: '1.1.1.1', ts_source: 'received', bytes: null, duration: null });
    // 2024-11-22T16:00:03Z is epoch 1732291203; the sub-millisecond part survives.
    expect(iso.exported_ts).toBeCloseTo(1732291203.4129, 4);
    expect(Math.abs(iso.ts * 1000 - Date.now())).toBeLessThan(10 * 60_000);
    expect(iso.geo.dst).toMatchObject({ country: 'AU' });

    // The nested `id` object some shippers write.
    const nested = byUid('CLq0vT7nKe3sWb5Yd2');
    expect(nested).toMatchObject({ src_ip: '192.168.1.10', src_port: 50233, dst_ip: '81.2.69.160', dst_port: 445, risk_score: 20 });
    expect(nested.geo.dst).toMatchObject({ country: 'GB' });
    expect(nested.asn.dst).toMatchObject({ number: 20712 });

    const flowRecords = records.filter((record) => record.format === 'flows.v1');
    expect(flowRecords).toHaveLength(goflow.length);
    for (const record of flowRecords) {
      expect(record.collector_id).toBe('goflow2-1');
      expect(record.ingest.topic).toBe(TOPICS.ingestFlows);
      expect(goflow).toContainEqual(record.original);
    }
    const to = (dst: string) => flowRecords.find((record) => record.dst_ip === dst)!;

    // goflow2's protocol number becomes its name.
    const tor = to('185.220.101.45');
    expect(tor).toMatchObject({
      src_ip: '10.1.2.3',
      src_port: 55123,
      dst_port: 443,
      proto: 'tcp',
      bytes: 1500000,
      packets: 1100,
      exported_ts: 1732291205,
      ts_source: 'received',
      // goflow2 gives the flow's end: TimeFlowEndNs - TimeFlowStartNs.
      duration: 4,
      exporter: '192.0.2.1',
      in_if: 3,
      out_if: 1,
      dst_as: 208294,
      next_hop: '192.0.2.254',
      tcp_flags: 27,
      risk_score: 80,
    });
    expect(tor.geo.dst).toMatchObject({ country: 'DE' });
    expect(tor.asn.dst).toMatchObject({ number: 208294 });
    expect(tor.ti.matches[0]).toMatchObject({ indicator: '185.220.101.0/24', category: 'tor-exit' });

    expect(to('8.8.8.8')).toMatchObject({ proto: 'udp', dst_port: 53, bytes: 128, risk_score: 10 });
    expect(to('8.8.8.8').asn.dst).toMatchObject({ number: 15169 });
    expect(to('1.1.1.1')).toMatchObject({ proto: 'tcp', dst_port: 3389, risk_score: 20 });
    expect(to('1.1.1.1').geo.dst).toMatchObject({ country: 'AU', city: 'Sydney' });

    // goflow2 2.x spelling: snake_case, the protocol as a name, nanosecond start time.
    const v2 = to('45.155.205.233');
    expect(v2).toMatchObject({ src_ip: '10.1.2.6', src_port: 50022, dst_port: 22, proto: 'tcp', bytes: 3120, exported_ts: 1732291208, risk_score: 70 });
    expect(v2).toMatchObject({ duration: 3, exporter: '192.0.2.2', in_if: 7, out_if: 2, dst_as: 49870, tcp_flags: 24, tos: 0 });
    expect(v2.ti.matches[0]).toMatchObject({ category: 'C2' });

    // The traceparent header travels with the record to telemetry.enriched.v1, read back by kcat as an external consumer.
    const enrichedMessages: KcatMessage[] = [];
    for (const [partition, offset] of enrichedStart) {
      const consumed = await kcat(['-C', '-b', kafkaBrokers().join(','), '-t', TOPICS.enriched, '-p', String(partition), '-o', offset, '-e', '-q', '-J']);
      expect(consumed.exitCode).toBe(0);
      enrichedMessages.push(
        ...consumed.stdout
          .split('\n')
          .filter((line) => line.length > 0)
          .map((line) => JSON.parse(line) as KcatMessage),
      );
    }
    // Delivery is at least once: a redelivered batch may repeat a message, so count by event_id. A
    // message is a frame (docs/enriched-topic.md): one flow per line, as many as record-count says.
    const ours = new Map<string, Record<string, string>>();
    for (const message of enrichedMessages) {
      const headers = headersOf(message);
      if (headers[HEADERS.tenantId] !== tenant) continue;
      const lines = headers[FRAME_HEADERS.contentType] === NDJSON_CONTENT_TYPE ? message.payload!.split('\n') : [message.payload!];
      if (headers[FRAME_HEADERS.contentType] === NDJSON_CONTENT_TYPE) expect(String(lines.length)).toBe(headers[FRAME_HEADERS.recordCount]);
      for (const line of lines) ours.set((JSON.parse(line) as EnrichedFlow).event_id, headers);
    }
    expect([...ours.keys()].sort()).toEqual(records.map((record) => record.event_id).sort());
    const oursHeaders = [...ours.values()];
    expect(oursHeaders.filter((headers) => headers[HEADERS.traceparent] === traceparent)).toHaveLength(zeek.length);
    expect(oursHeaders.filter((headers) => headers[HEADERS.collectorId] === 'goflow2-1').every((headers) => headers[HEADERS.traceparent] === undefined)).toBe(
      true,
    );

    // Both invalid messages in the dead-letter topic, unchanged, with the reason and where they came from.
    const letters: LogRecord[] = [];
    const subscription = await log.subscribe({
      groupId: uniqueName('e2e-dlq-reader'),
      topics: [TOPICS.ingestDeadLetter],
      fromBeginning: true,
      handler: async (batch) => {
        letters.push(...batch.records.filter((record) => record.value.toString('utf8').includes(marker)));
      },
    });
    // At least once here too: keep one dead letter per original message.
    const origin = (letter: LogRecord) =>
      `${letter.headers[DEAD_LETTER_HEADERS.originalTopic]}/${letter.headers[DEAD_LETTER_HEADERS.originalPartition]}/${letter.headers[DEAD_LETTER_HEADERS.originalOffset]}`;
    const uniqueLetters = () => [...new Map(letters.map((letter) => [origin(letter), letter])).values()];
    try {
      await waitFor(() => uniqueLetters().length >= 2, { timeoutMs: 60_000, description: 'both invalid kcat messages in the dead-letter topic' });
    } finally {
      await subscription.close();
    }
    const deadLetters = uniqueLetters();
    expect(deadLetters).toHaveLength(2);

    const undecodable = deadLetters.find((letter) => letter.headers[DEAD_LETTER_HEADERS.originalTopic] === TOPICS.ingestZeekConn)!;
    expect(undecodable.value.toString('utf8')).toBe(notJson);
    expect(undecodable.key?.toString('utf8')).toBe('bad-sensor');
    expect(undecodable.headers).toMatchObject({
      [DEAD_LETTER_HEADERS.code]: 'invalid_json',
      [DEAD_LETTER_HEADERS.stage]: 'enricher',
      [HEADERS.tenantId]: tenant,
    });
    expect(undecodable.headers[DEAD_LETTER_HEADERS.reason]).toMatch(/not JSON/);

    const incomplete = deadLetters.find((letter) => letter.headers[DEAD_LETTER_HEADERS.originalTopic] === TOPICS.ingestFlows)!;
    expect(incomplete.value.toString('utf8')).toBe(noDestination);
    expect(incomplete.key?.toString('utf8')).toBe('bad-exporter');
    expect(incomplete.headers).toMatchObject({ [DEAD_LETTER_HEADERS.code]: 'invalid_record', [HEADERS.tenantId]: tenant });
    // The reason names the missing field, canonically and as goflow2 spells it.
    expect(incomplete.headers[DEAD_LETTER_HEADERS.reason]).toMatch(/^missing_field at dst_ip: /);
    expect(incomplete.headers[DEAD_LETTER_HEADERS.reason]).toContain('DstAddr');

    for (const letter of deadLetters) {
      expect(letter.headers[DEAD_LETTER_HEADERS.originalPartition]).toMatch(/^\d+$/);
      expect(letter.headers[DEAD_LETTER_HEADERS.originalOffset]).toMatch(/^\d+$/);
      expect(Number.isNaN(Date.parse(letter.headers[DEAD_LETTER_HEADERS.failedAt]))).toBe(false);
    }
    // The coordinates point at the original message: kcat reads it back there, byte for byte.
    for (const letter of deadLetters) {
      const original = await kcat([
        '-C',
        '-b',
        kafkaBrokers().join(','),
        '-t',
        letter.headers[DEAD_LETTER_HEADERS.originalTopic],
        '-p',
        letter.headers[DEAD_LETTER_HEADERS.originalPartition],
        '-o',
        letter.headers[DEAD_LETTER_HEADERS.originalOffset],
        '-c',
        '1',
        '-e',
        '-q',
        '-J',
      ]);
      expect(original.exitCode).toBe(0);
      const message = JSON.parse(original.stdout.trim()) as KcatMessage;
      expect(message.payload).toBe(letter.value.toString('utf8'));
    }
  });
});
