import { context, propagation, ROOT_CONTEXT, Span, SpanKind, trace } from '@opentelemetry/api';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';

export const tracer = trace.getTracer('telemetry-api');

/**
 * Starts the OpenTelemetry SDK when an OTLP endpoint is configured (the standard
 * OTEL_EXPORTER_OTLP_ENDPOINT / OTEL_EXPORTER_OTLP_TRACES_ENDPOINT variables, read by the app config). Without it the API
 * stays a no-op and tracing costs nothing on the hot paths.
 */
export function startTracing(serviceName: string, tracesUrl: string | undefined): { shutdown(): Promise<void> } | undefined {
  if (!tracesUrl) return undefined;
  // Traces only: metrics are served by prom-client, and without these empty lists the SDK starts OTLP
  // metric and log exporters of its own (the default of OTEL_METRICS_EXPORTER/OTEL_LOGS_EXPORTER).
  const sdk = new NodeSDK({ serviceName, traceExporter: new OTLPTraceExporter({ url: tracesUrl }), metricReaders: [], logRecordProcessors: [] });
  sdk.start();
  return { shutdown: () => sdk.shutdown() };
}

/** The W3C context of an inbound carrier (HTTP headers or record headers). */
export function extractContext(carrier: Readonly<Record<string, unknown>>) {
  return propagation.extract(ROOT_CONTEXT, carrier, {
    get: (headers, key) => {
      const value = headers[key];
      return typeof value === 'string' ? value : Array.isArray(value) ? String(value[0]) : undefined;
    },
    keys: (headers) => Object.keys(headers),
  });
}

/** The `traceparent` of a span, to carry to the next hop in a record header. */
export function traceparentOf(span: Span): string | undefined {
  const carrier: Record<string, string> = {};
  propagation.inject(trace.setSpan(context.active(), span), carrier);
  return carrier.traceparent;
}

/** Runs `work` in a span; the span records the error and ends either way. */
export async function inSpan<T>(
  name: string,
  options: {
    kind?: SpanKind;
    parent?: ReturnType<typeof extractContext>;
    attributes?: Record<string, string | number>;
    links?: Array<{ traceparent: string }>;
  },
  work: (span: Span) => Promise<T>,
): Promise<T> {
  const links = (options.links ?? [])
    .map(({ traceparent }) => trace.getSpanContext(extractContext({ traceparent })))
    .filter((spanContext): spanContext is NonNullable<typeof spanContext> => spanContext !== undefined)
    .map((spanContext) => ({ context: spanContext }));
  const span = tracer.startSpan(name, { kind: options.kind ?? SpanKind.INTERNAL, attributes: options.attributes, links }, options.parent ?? context.active());
  try {
    return await context.with(trace.setSpan(options.parent ?? context.active(), span), () => work(span));
  } catch (error) {
    span.recordException(error instanceof Error ? error : String(error));
    span.setStatus({ code: 2, message: error instanceof Error ? error.message : String(error) });
    throw error;
  } finally {
    span.end();
  }
}

export { SpanKind };
