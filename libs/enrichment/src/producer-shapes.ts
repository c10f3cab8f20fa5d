import type { IngressEnvelope, IngressFormat } from '@telemetry/contracts';

/**
 * The wrappings real producers put around a record, taken off before normalization:
 *
 * - Kafka Connect's JsonConverter with `schemas.enable=true` (its default) writes
 *   `{"schema": {...} | null, "payload": <value>}`. The payload is the record as an object (a
 *   struct or map schema), or, when the connector carried the line as text (a `string` schema, e.g.
 *   StringConverter upstream or a file source), the record's JSON as a string; a `bytes` schema
 *   gives it base64-encoded.
 * - Zeek's Kafka plugin with `Kafka::tag_json = T` writes `{"<log path>": {...}}`, one key naming
 *   the log (`conn`, `dns`, `http`…); with `send_all_active_logs` every log shares the topic.
 *   Untagged records may name their log in `_path` (json-streaming-logs and some shippers).
 *   Only `conn` is a connection: any other log is refused with `unsupported_zeek_log`.
 */
export type UnwrapResult =
  | { readonly ok: true; readonly record: Record<string, unknown>; readonly envelope?: IngressEnvelope }
  | { readonly ok: false; readonly code: 'invalid_json' | 'invalid_record' | 'unsupported_zeek_log'; readonly reason: string };

/** The Zeek log the Zeek topic enriches. */
export const ZEEK_CONN_LOG = 'conn';

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Exactly the two keys JsonConverter writes, with a schema that is an object or null. */
function isConnectEnvelope(value: Record<string, unknown>): boolean {
  let keys = 0;
  for (const key in value) {
    if (key !== 'schema' && key !== 'payload') return false;
    keys++;
  }
  return keys === 2 && (value.schema === null || isObject(value.schema));
}

function unwrapConnect(value: Record<string, unknown>): UnwrapResult {
  const schema = value.schema as { type?: unknown } | null;
  const schemaType = schema === null ? 'none' : typeof schema.type === 'string' ? schema.type : 'unknown';
  const payload = value.payload;
  if (isObject(payload)) return { ok: true, record: payload, envelope: 'kafka-connect' };
  if (typeof payload === 'string' && (schemaType === 'string' || schemaType === 'bytes' || schemaType === 'none')) {
    const text = schemaType === 'bytes' ? Buffer.from(payload, 'base64').toString('utf8') : payload;
    let inner: unknown;
    try {
      inner = JSON.parse(text);
    } catch (error) {
      return {
        ok: false,
        code: 'invalid_json',
        reason: `Kafka Connect envelope: the payload (schema type ${schemaType}) is not JSON: ${error instanceof Error ? error.message : String(error)}`,
      };
    }
    if (isObject(inner)) return { ok: true, record: inner, envelope: 'kafka-connect' };
  }
  const got = payload === null ? 'null (a tombstone)' : Array.isArray(payload) ? 'an array' : typeof payload;
  return {
    ok: false,
    code: 'invalid_record',
    reason: `Kafka Connect envelope: the payload must be one record (an object, or a string holding its JSON), got ${got} with schema type ${schemaType}`,
  };
}

/** `{"dns": {...}}`: one key, an object under it. A lone nested `id` is a (broken) conn record, not a tag. */
function zeekTag(value: Record<string, unknown>): string | undefined {
  let tag: string | undefined;
  for (const key in value) {
    if (tag !== undefined) return undefined;
    tag = key;
  }
  return tag !== undefined && tag !== 'id' && isObject(value[tag]) ? tag : undefined;
}

/** Takes off the producer's wrapping, if any, and routes Zeek logs: conn goes on, other logs are refused. */
export function unwrapRecord(format: IngressFormat, value: Record<string, unknown>, topic: string): UnwrapResult {
  let record = value;
  let envelope: IngressEnvelope | undefined;
  if (isConnectEnvelope(record)) {
    const unwrapped = unwrapConnect(record);
    if (!unwrapped.ok) return unwrapped;
    record = unwrapped.record;
    envelope = unwrapped.envelope;
  }
  if (format === 'zeek.conn') {
    const tag = zeekTag(record);
    if (tag !== undefined) {
      record = record[tag] as Record<string, unknown>;
      envelope ??= 'zeek-tag-json';
    }
    const log = tag ?? (typeof record._path === 'string' ? record._path : undefined);
    if (log !== undefined && log !== ZEEK_CONN_LOG) {
      const how = tag !== undefined ? 'tag_json tag' : '_path';
      return {
        ok: false,
        code: 'unsupported_zeek_log',
        reason: `Zeek log "${log.slice(0, 100)}" (from its ${how}) is not supported on ${topic}: only ${ZEEK_CONN_LOG} records are enriched`,
      };
    }
  }
  return envelope === undefined ? { ok: true, record } : { ok: true, record, envelope };
}
