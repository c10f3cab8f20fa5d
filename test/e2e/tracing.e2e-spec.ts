import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import request from 'supertest';
import { waitFor } from '@telemetry/testing';
import { startProduct, TEST_KEY } from './all-in-one.harness';

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

describe('OpenTelemetry traces across ingest → enrich → project (embedded mode)', () => {
  it('continues the caller\'s trace at ingest and links the enricher batch span to it', async () => {
    const receiver = await startOtlpReceiver();
    const product = await startProduct('embedded', {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    });
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    try {
      await request(product.server)
        .post('/v1/ingest/netflow')
        .set('Authorization', `Bearer ${TEST_KEY}`)
        .set('traceparent', `00-${traceId}-00f067aa0ba902b7-01`)
        .send([{ ts: 1732288800, src_ip: '10.0.0.1', dst_ip: '8.8.8.8', dst_port: 53, protocol: 'udp' }])
        .expect(202);
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
      await product.close();
      await receiver.close();
    }
  });
});
