import request from 'supertest';
import { DEAD_LETTER_HEADERS, HEADERS, TOPICS, type EnrichedFlow } from '@telemetry/contracts';
import { kafkaBrokers, uniqueName, waitFor } from '@telemetry/testing';
import { RunningProduct, startProduct, TEST_KEY } from './all-in-one.harness';
import { mustRun } from './external-tools';

// Issue 8, "no poison pill stops a consumer": compressed batches of every codec a real producer uses
// (librdkafka's kcat, as Zeek's Kafka plugin is librdkafka too) and a record whose tenant header no
// read model can hold, among good records on the real broker. Every good record is enriched and
// projected; the bad one is dead-lettered with the reason; nothing stalls.

const auth = { Authorization: `Bearer ${TEST_KEY}` };

/** One Zeek conn record per line, told apart by its uid. */
function zeekLines(marker: string, count: number): string {
  return Array.from({ length: count }, (_, i) =>
    JSON.stringify({
      ts: Date.now() / 1000,
      uid: `${marker}-${i}`,
      'id.orig_h': '10.20.0.15',
      'id.orig_p': 40_000 + i,
      'id.resp_h': '8.8.8.8',
      'id.resp_p': 53,
      proto: 'udp',
      duration: 0.02,
      orig_bytes: 42,
      resp_bytes: 90,
    }),
  ).join('\n');
}

/** One kcat produce call: its lines become one batch, compressed with `codec` (librdkafka's -z). */
async function produce(lines: string, tenant: string, codec: 'none' | 'lz4' | 'zstd' | 'snappy' | 'gzip'): Promise<void> {
  await mustRun('kcat', ['-P', '-b', kafkaBrokers().join(','), '-t', TOPICS.ingestZeekConn, '-z', codec, '-H', `${HEADERS.tenantId}=${tenant}`], {
    stdin: `${lines}\n`,
  });
}

interface KcatMessage {
  readonly headers?: string[];
  readonly payload: string | null;
}

describe('poison records and compressed batches from a real producer (Kafka + Postgres)', () => {
  let product: RunningProduct;

  beforeAll(async () => {
    product = await startProduct('kafka');
  });

  afterAll(async () => {
    await product?.close();
  });

  it('enriches and projects every good record of lz4, zstd, snappy and gzip batches around a record no row can hold', async () => {
    const marker = uniqueName('poison');
    const longTenant = 't'.repeat(200);
    await produce(zeekLines(`${marker}-plain`, 5), product.tenant, 'none');
    await produce(zeekLines(`${marker}-lz4`, 5), product.tenant, 'lz4');
    await produce(zeekLines(`${marker}-bad`, 1), longTenant, 'none');
    await produce(zeekLines(`${marker}-zstd`, 5), product.tenant, 'zstd');
    await produce(zeekLines(`${marker}-snappy`, 5), product.tenant, 'snappy');
    await produce(zeekLines(`${marker}-gzip`, 5), product.tenant, 'gzip');
    await produce(zeekLines(`${marker}-after`, 5), product.tenant, 'none');

    let uids: string[] = [];
    await waitFor(
      async () => {
        const response = await request(product.server).get('/v1/download/json?limit=1000').set(auth).expect(200);
        uids = response.text
          .split('\n')
          .filter((line) => line.length > 0)
          .map((line) => JSON.parse(line) as EnrichedFlow)
          .map((flow) => String(flow.original.uid))
          .filter((uid) => uid.startsWith(marker));
        return uids.length >= 30;
      },
      { timeoutMs: 60_000, description: 'the 30 good records projected' },
    );
    expect(new Set(uids).size).toBe(30);
    for (const codec of ['plain', 'lz4', 'zstd', 'snappy', 'gzip', 'after'])
      expect(uids.filter((uid) => uid.startsWith(`${marker}-${codec}-`))).toHaveLength(5);

    // The bad record is in the ingest DLQ with the reason naming the header, its bytes unchanged.
    let letter: { headers: Record<string, string>; payload: string } | undefined;
    await waitFor(
      async () => {
        const consumed = await mustRun('kcat', ['-C', '-b', kafkaBrokers().join(','), '-t', TOPICS.ingestDeadLetter, '-o', 'beginning', '-e', '-q', '-J']);
        for (const line of consumed.stdout.split('\n').filter((l) => l.length > 0)) {
          const message = JSON.parse(line) as KcatMessage;
          if (!message.payload?.includes(`${marker}-bad-0`)) continue;
          const list = message.headers ?? [];
          const headers: Record<string, string> = {};
          for (let i = 0; i + 1 < list.length; i += 2) headers[list[i]] = list[i + 1];
          letter = { headers, payload: message.payload };
        }
        return letter !== undefined;
      },
      { timeoutMs: 30_000, description: 'the bad record in the ingest DLQ' },
    );
    expect(letter!.headers).toMatchObject({
      [DEAD_LETTER_HEADERS.code]: 'invalid_header',
      [DEAD_LETTER_HEADERS.stage]: 'enricher',
      [DEAD_LETTER_HEADERS.originalTopic]: TOPICS.ingestZeekConn,
    });
    expect(letter!.headers[DEAD_LETTER_HEADERS.reason]).toContain('tenant-id');
    expect(JSON.parse(letter!.payload)).toMatchObject({ uid: `${marker}-bad-0` });
  });
});
