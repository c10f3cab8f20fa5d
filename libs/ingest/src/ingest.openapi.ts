import { applyDecorators } from '@nestjs/common';
import { ApiBody, ApiHeader, ApiOperation, ApiProduces, ApiResponse } from '@nestjs/swagger';
import { FORMAT_ALIASES } from '@telemetry/contracts';

/**
 * The OpenAPI description of the ingest endpoints: every accepted body shape and every answer,
 * each with an example, so the document at /openapi.json is the contract users code against.
 */

const zeekRecord = {
  ts: 1732288801.456,
  uid: 'C4J4Th3PJpwUYZZ6gc',
  'id.orig_h': '10.0.0.23',
  'id.orig_p': 49822,
  'id.resp_h': '45.155.205.233',
  'id.resp_p': 3389,
  proto: 'tcp',
  service: 'rdp',
  duration: 12.5,
  orig_bytes: 2400000,
  resp_bytes: 18000,
  conn_state: 'SF',
  history: 'ShADadFf',
  orig_pkts: 1800,
  resp_pkts: 900,
};
const flowRecord = {
  ts: 1732288805,
  src_ip: '10.1.2.3',
  dst_ip: '185.220.101.45',
  src_port: 55123,
  dst_port: 443,
  protocol: 'tcp',
  bytes: 1500000,
  packets: 1100,
};
const ipfixRecord = {
  flowStartMilliseconds: 1732288805000,
  sourceIPv4Address: '10.1.2.3',
  destinationIPv4Address: '8.8.8.8',
  sourceTransportPort: 53000,
  destinationTransportPort: 53,
  protocolIdentifier: 17,
  octetDeltaCount: 128,
  packetDeltaCount: 2,
};
const goflow2Record = {
  TimeFlowStartNs: 1732288805000000000,
  SrcAddr: '10.1.2.3',
  DstAddr: '1.1.1.1',
  SrcPort: 61000,
  DstPort: 443,
  Proto: 6,
  Bytes: 5200,
  Packets: 9,
  SamplerAddress: '192.0.2.1',
};

const record = { type: 'object', additionalProperties: true, description: 'One flow record; unknown fields are kept under `original` of the enriched flow' };

const bodySchema = {
  description:
    'A JSON array of records, the envelope `{collector_id, format | type, records}`, a single record object (pretty-printed too), ' +
    'or JSON Lines (one record per line, `Content-Type: application/x-ndjson`). gzip by `Content-Encoding: gzip` or by its magic bytes. ' +
    `Limits: 5 MiB on the wire and after inflating, 10,000 records. Formats: ${Object.keys(FORMAT_ALIASES).join(', ')}.`,
  schema: {
    oneOf: [
      { type: 'array', items: record, maxItems: 10000 },
      {
        type: 'object',
        properties: {
          collector_id: { type: 'string', maxLength: 128 },
          format: { type: 'string', enum: Object.keys(FORMAT_ALIASES) },
          type: { type: 'string', enum: Object.keys(FORMAT_ALIASES), description: "the original product's name for `format`" },
          records: { type: 'array', items: record, maxItems: 10000 },
        },
        required: ['records'],
      },
      record,
    ],
  },
  examples: {
    zeekEnvelope: { summary: 'Zeek conn envelope', value: { collector_id: 'zeek-sensor-1', format: 'zeek.conn.v1', records: [zeekRecord] } },
    zeekArray: { summary: 'Zeek conn array (dotted names)', value: [zeekRecord] },
    flowsEnvelope: { summary: 'flows.v1 envelope', value: { collector_id: 'edge-router-1', format: 'flows.v1', records: [flowRecord] } },
    ipfix: { summary: 'IPFIX field names', value: { collector_id: 'ipfix-1', format: 'netflow', records: [ipfixRecord] } },
    goflow2: { summary: 'goflow2 JSON, a single object', value: goflow2Record },
  },
};

const rejection = {
  type: 'object',
  properties: { index: { type: 'integer' }, field: { type: 'string' }, code: { type: 'string' }, message: { type: 'string' } },
  required: ['index', 'field', 'code', 'message'],
};

const resultSchema = {
  type: 'object',
  properties: {
    status: { type: 'string', enum: ['accepted', 'partial', 'rejected'] },
    format: { type: 'string', enum: ['zeek.conn', 'flows.v1'] },
    collector_id: { type: 'string' },
    total: { type: 'integer' },
    accepted: { type: 'integer' },
    rejected: { type: 'integer' },
    records_processed: { type: 'integer', description: "the original product's name for `accepted`" },
    errors: { type: 'array', items: rejection, maxItems: 100 },
    errors_truncated: { type: 'boolean' },
  },
};

const errorSchema = {
  type: 'object',
  properties: { error: { type: 'string', description: 'stable error code' }, message: { type: 'string' } },
  required: ['error', 'message'],
  additionalProperties: true,
};

function errorExamples(examples: Record<string, Record<string, unknown>>) {
  return {
    'application/json': {
      schema: errorSchema,
      examples: Object.fromEntries(Object.entries(examples).map(([code, value]) => [code, { value: { error: code, ...value } }])),
    },
  };
}

const ok = {
  status: 'accepted',
  format: 'zeek.conn',
  collector_id: 'zeek-sensor-1',
  total: 3,
  accepted: 3,
  rejected: 0,
  records_processed: 3,
  errors: [],
  errors_truncated: false,
};
const partial = {
  ...ok,
  status: 'partial',
  accepted: 2,
  rejected: 1,
  records_processed: 2,
  errors: [{ index: 1, field: 'id.resp_h', code: 'missing_field', message: 'id.resp_h (or id_resp_h) is required' }],
};

export function IngestEndpointDocs(summary: string): MethodDecorator {
  return applyDecorators(
    ApiOperation({ summary }),
    ApiBody(bodySchema),
    ApiProduces('application/json'),
    ApiHeader({
      name: 'Idempotency-Key',
      required: false,
      description:
        'Up to 255 printable ASCII characters. The same key with the same body within 24 h returns the original answer (header `Idempotent-Replayed: true`) and publishes nothing again; with another body: 409.',
    }),
    ApiHeader({ name: 'X-Collector-ID', required: false, description: 'The collector, when the body is not an envelope with `collector_id`' }),
    ApiHeader({ name: 'traceparent', required: false, description: 'W3C trace context; continued across ingest, enricher and projection' }),
    ApiResponse({
      status: 202,
      description: 'Every record accepted: written to the event log and acknowledged (Kafka acks=all / embedded fsync)',
      content: { 'application/json': { schema: resultSchema, example: ok } },
    }),
    ApiResponse({
      status: 207,
      description: 'Some records accepted; `errors` lists the rejected ones',
      content: { 'application/json': { schema: resultSchema, example: partial } },
    }),
    ApiResponse({
      status: 422,
      description: 'No record accepted: `error` and `message` say so, `errors` lists each record',
      content: {
        'application/json': {
          schema: resultSchema,
          example: {
            error: 'all_records_rejected',
            message: 'None of the 1 record(s) was accepted, see errors; the first: record 0, field id.orig_h: must be an IP address',
            ...partial,
            status: 'rejected',
            total: 1,
            accepted: 0,
            records_processed: 0,
          },
        },
      },
    }),
    ApiResponse({
      status: 400,
      description: 'The body as a whole is unusable',
      content: errorExamples({
        invalid_json: { message: 'Body is not valid JSON: Unexpected end of JSON input', detail: 'Unexpected end of JSON input' },
        bad_batch_shape: { message: 'Body starts with "x"; expected a JSON array, an envelope object, or JSON Lines', position: 0 },
        invalid_encoding: { message: 'Body is not valid UTF-8' },
        decompress_failed: { message: 'Body is not valid gzip: incorrect header check', content_encoding: 'gzip' },
        unknown_format: { message: 'Unknown format "syslog"', field: 'format', known_formats: Object.keys(FORMAT_ALIASES) },
        format_mismatch: { message: 'This endpoint takes zeek.conn records; the envelope says flows.v1', field: 'format', expected: 'zeek.conn' },
        empty_batch: { message: 'Batch has no records' },
        invalid_header: { message: 'Header X-Collector-Id must be at most 128 characters, got 200', field: 'X-Collector-Id' },
        invalid_idempotency_key: { message: 'Idempotency-Key must be 1 to 255 printable ASCII characters without spaces', field: 'Idempotency-Key' },
      }),
    }),
    ApiResponse({ status: 401, description: 'Missing or invalid API key', content: errorExamples({ unauthorized: { message: 'Invalid API key' } }) }),
    ApiResponse({
      status: 403,
      description: 'The key lacks the ingest scope',
      content: errorExamples({ forbidden: { message: 'This API key lacks the "ingest" scope' } }),
    }),
    ApiResponse({
      status: 409,
      description: 'Idempotency-Key conflicts',
      content: errorExamples({
        idempotency_key_reused: { message: 'This Idempotency-Key was used with a different request in the last 24 h; use a new key', field: 'Idempotency-Key' },
        idempotency_key_in_progress: { message: 'A request with this Idempotency-Key is still being processed; retry shortly', retry_after: 1 },
      }),
    }),
    ApiResponse({
      status: 413,
      description: 'Over a limit',
      content: errorExamples({
        batch_too_large: { message: 'Body exceeds 5242880 bytes', limit_bytes: 5242880, actual_bytes: 6000000, content_encoding: 'identity' },
        too_many_records: { message: 'Batch has 10001 records; the limit is 10000', limit: 10000, observed: 10001 },
      }),
    }),
    ApiResponse({
      status: 408,
      description:
        'The body paused longer than HTTP_BODY_IDLE_TIMEOUT_MS (or the request took longer than HTTP_REQUEST_TIMEOUT_MS); nothing was published; the connection closes',
      content: errorExamples({
        request_timeout: {
          message: 'No body bytes arrived for 10000 ms after 4096 bytes; send the body without pausing',
          idle_timeout_ms: 10000,
          received_bytes: 4096,
        },
      }),
    }),
    ApiResponse({
      status: 415,
      description: 'Unsupported Content-Encoding',
      content: errorExamples({
        unsupported_media_type: { message: 'Content-Encoding "br" is not supported; use gzip or identity', supported: ['identity', 'gzip'] },
      }),
    }),
    ApiResponse({
      status: 429,
      description: 'Over the requests-per-minute limit of the key; see Retry-After and RateLimit-* headers',
      content: errorExamples({
        rate_limited: { message: 'Rate limit of 600 requests per minute exceeded; retry after 12 s', limit_per_min: 600, retry_after: 12 },
      }),
    }),
    ApiResponse({
      status: 503,
      description:
        'The event log cannot take records now; retry after Retry-After. When it stopped partway through the batch, the answer says which request record indices are written (`written_ranges`) and which were sent with an open outcome (`outcome_unknown_ranges`); with an Idempotency-Key (`retry_safe: true`) a retry with the same key and body publishes only the rest',
      content: errorExamples({
        backpressure: { message: 'The event log is not accepting records right now; retry later', retry_after: 5 },
        partially_written: {
          message:
            'The event log stopped acknowledging partway: 3421 of the 10000 accepted records are written, 3500 were sent and may or may not be written (the event log has not said yet). Retrying with the same Idempotency-Key and body is safe: only the records not written yet are published.',
          retry_after: 5,
          retry_safe: true,
          total: 10000,
          accepted: 10000,
          rejected: 0,
          written: 3421,
          written_ranges: [{ from: 0, to: 3420 }],
          outcome_unknown: 3500,
          outcome_unknown_ranges: [{ from: 3421, to: 6920 }],
          not_written: 3079,
        },
      }),
    }),
  );
}
