import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePorts, RunningProcess, spawnTypeScript, waitFor } from '@telemetry/testing';
import { TEST_KEY, writeGeoFixtures } from './all-in-one.harness';

interface ExportedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  links?: Array<{ traceId: string; spanId: string }>;
}

/** A minimal OTLP/HTTP JSON trace receiver: what a collector would get. */
async function startOtlpReceiver(): Promise<{ url: string; spans: ExportedSpan[]; close(): Promise<void> }> {
  const spans: ExportedSpan[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (req.url === '/v1/traces') {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
          resourceSpans: Array<{ scopeSpans: Array<{ spans: ExportedSpan[] }> }>;
        };
        for (const resource of body.resourceSpans) for (const scope of resource.scopeSpans) spans.push(...scope.spans);
      }
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, spans, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/**
 * The product runs as its own process: the OTLP exporter loads its HTTP transport with a dynamic
 * `import()`, which Jest's module sandbox cannot run, and a real process is what users deploy.
 */
describe('OpenTelemetry traces across ingest → enrich → project (embedded mode, a real all-in-one process)', () => {
  let dataDir: string;
  let product: RunningProcess | undefined;

  beforeEach(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'telemetry-tracing-'));
  });

  afterEach(async () => {
    await product?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it("continues the caller's trace at ingest and links the enricher batch span to it", async () => {
    const receiver = await startOtlpReceiver();
    const geo = writeGeoFixtures(dataDir);
    const [port] = await freePorts(1);
    product = spawnTypeScript('apps/all-in-one/src/main.ts', {
      DATA_DIR: dataDir,
      PORT: String(port),
      HOST: '127.0.0.1',
      API_KEY: TEST_KEY,
      GEOIP_DB_CITY: geo.city,
      GEOIP_DB_ASN: geo.asn,
      LOG_LEVEL: 'warn',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      // Export each batch of spans within 200 ms instead of the SDK's default 5 s.
      OTEL_BSP_SCHEDULE_DELAY: '200',
    });
    const running = product;
    const base = `http://127.0.0.1:${port}`;
    await waitFor(
      async () => {
        if (running.child.exitCode !== null) throw new Error(`exited early:\n${running.output()}`);
        return (await fetch(`${base}/v1/health`).catch(() => undefined))?.ok === true;
      },
      { timeoutMs: 90_000, intervalMs: 200, description: 'the all-in-one healthy' },
    );
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    try {
      const response = await fetch(`${base}/v1/ingest/netflow`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${TEST_KEY}`, 'Content-Type': 'application/json', traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
        body: JSON.stringify([{ ts: 1732288800, src_ip: '10.0.0.1', dst_ip: '8.8.8.8', dst_port: 53, protocol: 'udp' }]),
      });
      expect(response.status).toBe(202);
      const ingestSpan = await waitFor(() => receiver.spans.find((span) => span.name === 'POST /v1/ingest/netflow'), {
        description: 'the ingest span exported',
      });
      expect(ingestSpan.traceId).toBe(traceId);
      expect(ingestSpan.parentSpanId).toBe('00f067aa0ba902b7');
      const enrichSpan = await waitFor(
        () => receiver.spans.find((span) => span.name === 'enrich batch' && span.links?.some((link) => link.traceId === traceId)),
        { description: 'the enricher batch span linked to the ingest trace' },
      );
      expect(enrichSpan.links).toEqual(expect.arrayContaining([expect.objectContaining({ traceId, spanId: ingestSpan.spanId })]));
      await waitFor(() => receiver.spans.find((span) => span.name === 'project enriched-events'), { description: 'the projection span exported' });
    } finally {
      await receiver.close();
    }
  });
});
