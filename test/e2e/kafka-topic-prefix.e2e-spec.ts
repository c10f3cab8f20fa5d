import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import request from 'supertest';
import { defaultTopicSpecs, HEADERS, SINK_NAMES, sinkDeadLetterTopic, TOPICS, type EnrichedFlow } from '@telemetry/contracts';
import { kafkaBrokers, spawnTypeScript, uniqueName, waitFor } from '@telemetry/testing';
import { Kafka, logLevel } from 'kafkajs';
import { RunningProduct, SAMPLES, startProduct, TEST_KEY } from './all-in-one.harness';

// Issue 8, item 1: KAFKA_TOPIC_PREFIX puts every topic of the product under the prefix (two
// deployments share a cluster), and KAFKA_CREATE_TOPICS=false refuses to start naming every missing topic.

const auth = { Authorization: `Bearer ${TEST_KEY}` };

async function brokerTopics(): Promise<string[]> {
  const admin = new Kafka({ clientId: uniqueName('prefix-observer'), brokers: kafkaBrokers(), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    return await admin.listTopics();
  } finally {
    await admin.disconnect();
  }
}

describe('KAFKA_TOPIC_PREFIX and KAFKA_CREATE_TOPICS on the all-in-one', () => {
  let product: RunningProduct | undefined;
  afterAll(() => product?.close());

  it('creates, writes and reads only prefixed topics: a Zeek record produced with lz4 to the prefixed ingress topic is enriched', async () => {
    const prefix = `${uniqueName('deploy')}.`;
    product = await startProduct('kafka', { KAFKA_TOPIC_PREFIX: prefix, KAFKA_COMPRESSION: 'zstd' });
    const mine = (await brokerTopics()).filter((topic) => topic.startsWith(prefix)).sort();
    // The contract topics, and the sinks' DLQ topics the dead-letter read model reads (no sink runs here).
    const expected = [...defaultTopicSpecs().map((spec) => spec.name), ...SINK_NAMES.map((sink) => sinkDeadLetterTopic(sink))]
      .map((name) => prefix + name)
      .sort();
    expect(mine).toEqual(expected);

    const line = path.join(SAMPLES, 'zeek_conn.ndjson');
    execFileSync('kcat', [
      '-P',
      '-b',
      kafkaBrokers().join(','),
      '-t',
      prefix + TOPICS.ingestZeekConn,
      '-z',
      'lz4',
      '-H',
      `${HEADERS.tenantId}=${product.tenant}`,
      '-l',
      line,
    ]);
    const current = product;
    const flows = await waitFor(
      async () => {
        const response = await request(current.server).get('/v1/download/json?limit=100').set(auth).expect(200);
        const lines = response.text.split('\n').filter((text) => text.length > 0);
        return lines.length >= 5 ? lines.map((text) => JSON.parse(text) as EnrichedFlow) : undefined;
      },
      { timeoutMs: 60_000, description: 'the 5 Zeek records enriched and downloadable' },
    );
    expect(flows.map((flow) => flow.tenant_id)).toEqual(Array(5).fill(product.tenant));
    // The enriched records went to the prefixed enriched topic (zstd, this deployment's codec), and read back from it.
    const enriched = execFileSync('kcat', ['-C', '-b', kafkaBrokers().join(','), '-t', prefix + TOPICS.enriched, '-o', 'beginning', '-e', '-q', '-f', '%s\n'], {
      encoding: 'utf8',
    });
    expect(enriched.split('\n').filter((text) => text.length > 0)).toHaveLength(5);
    // The Kafka consumers' restart and undecodable-batch counters are exposed (zero restarts here).
    const metrics = await request(current.server).get('/v1/metrics/prometheus').set(auth).expect(200);
    for (const name of ['telemetry_consumer_restarts_total', 'telemetry_consumer_undecodable_batches_total', 'telemetry_consumer_skipped_batches_total']) {
      expect(metrics.text).toContain(`# TYPE ${name} counter`);
    }
    expect(metrics.text).not.toMatch(/^telemetry_consumer_restarts_total\{/m);
  });

  it('with KAFKA_CREATE_TOPICS=false, the enricher refuses to start and names every missing topic', async () => {
    const prefix = `${uniqueName('locked')}.`;
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'telemetry-locked-'));
    const enricher = spawnTypeScript('apps/enricher/src/main.ts', {
      PORT: '0',
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      API_KEY: TEST_KEY,
      KAFKA_BROKERS: kafkaBrokers().join(','),
      KAFKA_TOPIC_PREFIX: prefix,
      KAFKA_CREATE_TOPICS: 'false',
    });
    try {
      const exitCode = await new Promise<number | null>((resolve) => enricher.child.once('exit', (code) => resolve(code)));
      expect(exitCode).not.toBe(0);
      const names = defaultTopicSpecs().map((spec) => prefix + spec.name);
      expect(enricher.output()).toContain(`topic creation is off (KAFKA_CREATE_TOPICS=false) and ${names.length} topic(s) do not exist: ${names.join(', ')}`);
      expect((await brokerTopics()).filter((topic) => topic.startsWith(prefix))).toEqual([]);
    } finally {
      await enricher.kill();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
