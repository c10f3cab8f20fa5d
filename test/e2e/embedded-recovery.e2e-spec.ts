import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import request from 'supertest';
import { uniqueName, waitFor } from '@telemetry/testing';
import { RunningProduct, startProduct, TEST_KEY } from './all-in-one.harness';

const auth = { Authorization: `Bearer ${TEST_KEY}` };

function flows(from: number, count: number): Array<Record<string, unknown>> {
  return Array.from({ length: count }, (_, index) => ({
    ts: 1732288800 + from + index,
    src_ip: '10.0.0.1',
    dst_ip: '8.8.8.8',
    src_port: 40000 + from + index,
    dst_port: 53,
    protocol: 'udp',
  }));
}

async function rowsOf(product: RunningProduct): Promise<number> {
  const response = await request(product.server).get('/v1/download/json?limit=1000').set(auth).expect(200);
  return response.text.split('\n').filter((line) => line.length > 0).length;
}

/** The largest segment file of the flows ingress topic: the active segment of its busiest partition. */
function busiestSegment(dataDir: string): string {
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (full.includes('telemetry.ingest.flows.v1') && entry.name.endsWith('.log')) files.push(full);
    }
  };
  walk(path.join(dataDir, 'log'));
  files.sort((a, b) => fs.statSync(b).size - fs.statSync(a).size);
  if (files.length === 0) throw new Error(`no segment of telemetry.ingest.flows.v1 under ${dataDir}/log`);
  return files[0];
}

/**
 * The product on a data dir whose ingress log has a flipped bit in the middle of a segment (disk or
 * copy damage): it starts, reports the bad frame in its metrics, keeps every frame after it, and
 * records acknowledged after the restart are consumed (they were never consumed before: the group's
 * committed offset lay past the log's end once the "torn tail" was cut).
 */
describe('the all-in-one after damage to its embedded log', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'telemetry-recovery-'));
  const tenant = uniqueName('tenant');
  let product: RunningProduct | undefined;

  afterAll(async () => {
    await product?.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('skips the bad frame, says so in its metrics, and consumes what is accepted after the restart', async () => {
    product = await startProduct('embedded', { DATA_DIR: dataDir, DEFAULT_TENANT: tenant, TOPIC_PARTITIONS: '1' });
    // Four requests, four messages (a request's records are one frame): the damage lands inside the log, not at its tail.
    for (let batch = 0; batch < 4; batch += 1)
      await request(product.server)
        .post('/v1/ingest/netflow')
        .set(auth)
        .send(flows(batch * 10, 10))
        .expect(202);
    await waitFor(async () => (await rowsOf(product!)) === 40, { description: '40 flows projected before the damage' });
    await product.close();
    product = undefined;

    const segment = busiestSegment(dataDir);
    const bytes = fs.readFileSync(segment);
    const middle = Math.floor(bytes.length / 2);
    bytes[middle] ^= 0x20;
    fs.writeFileSync(segment, bytes);

    product = await startProduct('embedded', { DATA_DIR: dataDir, DEFAULT_TENANT: tenant, TOPIC_PARTITIONS: '1' });
    const metrics = await request(product.server).get('/v1/metrics/prometheus').expect(200);
    const skipped = Number(/^telemetry_event_log_corrupt_frames_skipped_total (\d+)$/m.exec(metrics.text)?.[1]);
    expect(skipped).toBeGreaterThanOrEqual(1);
    await request(product.server).post('/v1/ingest/netflow').set(auth).send(flows(1000, 15)).expect(202);
    await waitFor(async () => (await rowsOf(product!)) === 55, { description: 'the 15 flows accepted after the restart projected too' });
  });
});
