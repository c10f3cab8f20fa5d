/**
 * Ingress record shapes, one record per message on the ingress topics, as their producers write them.
 * The JSON Schemas here are published for direct producers (libs/contracts/schemas); they describe
 * what the enricher needs and allow every other field, which is kept, so nothing a user sent disappears.
 */
import { FLOW_EXPORTER_FIELD_SPELLINGS, FLOW_FIELD_SPELLINGS } from './field-spellings';

export const INGRESS_SCHEMA_VERSION = 1;

export const INGRESS_FORMATS = ['zeek.conn', 'flows.v1'] as const;
export type IngressFormat = (typeof INGRESS_FORMATS)[number];

/** Every spelling users send, mapped to the canonical format. */
export const FORMAT_ALIASES: Readonly<Record<string, IngressFormat>> = {
  'zeek.conn': 'zeek.conn',
  'zeek.conn.v1': 'zeek.conn',
  zeek: 'zeek.conn',
  'flows.v1': 'flows.v1',
  netflow: 'flows.v1',
  ipfix: 'flows.v1',
};

/**
 * The canonical format of a spelling, or undefined. Only the table's own keys count: a plain-object
 * lookup would answer "__proto__", "constructor" or "toString" with Object.prototype's members.
 */
export function canonicalFormat(name: string): IngressFormat | undefined {
  const key = name.trim().toLowerCase();
  return Object.hasOwn(FORMAT_ALIASES, key) ? FORMAT_ALIASES[key] : undefined;
}

/** Zeek conn.log JSON; both `id.orig_h` and `id_orig_h` spellings, and a nested `id` object, occur. */
export interface ZeekConnRecord {
  ts?: number | string;
  uid?: string;
  'id.orig_h'?: string;
  'id.orig_p'?: number;
  'id.resp_h'?: string;
  'id.resp_p'?: number;
  id_orig_h?: string;
  id_orig_p?: number;
  id_resp_h?: string;
  id_resp_p?: number;
  id?: { orig_h?: string; orig_p?: number; resp_h?: string; resp_p?: number };
  proto?: string;
  service?: string;
  duration?: number;
  orig_bytes?: number;
  resp_bytes?: number;
  conn_state?: string;
  local_orig?: boolean;
  local_resp?: boolean;
  missed_bytes?: number;
  history?: string;
  orig_pkts?: number;
  orig_ip_bytes?: number;
  resp_pkts?: number;
  resp_ip_bytes?: number;
  [extra: string]: unknown;
}

/** flows.v1 / NetFlow-IPFIX JSON (common exporter spellings and goflow2 JSON accepted). */
export interface FlowRecord {
  ts?: number | string;
  timestamp?: number | string;
  src_ip?: string;
  dst_ip?: string;
  src_port?: number;
  dst_port?: number;
  protocol?: string | number;
  proto?: string | number;
  bytes?: number;
  packets?: number;
  [extra: string]: unknown;
}

const ip = { type: 'string', minLength: 2, maxLength: 45 } as const;
const port = {
  anyOf: [
    { type: 'integer', minimum: 0, maximum: 65535 },
    { type: 'string', pattern: '^[0-9]{1,5}$' },
  ],
} as const;
const count = {
  anyOf: [
    { type: 'number', minimum: 0 },
    { type: 'string', pattern: '^[0-9]+(\\.[0-9]+)?$' },
  ],
} as const;
const timestamp = {
  anyOf: [
    { type: 'number', minimum: 0 },
    { type: 'string', minLength: 1, maxLength: 64 },
  ],
} as const;
const protocol = {
  anyOf: [
    { type: 'string', minLength: 1, maxLength: 16 },
    { type: 'integer', minimum: 0, maximum: 255 },
  ],
} as const;

/** One property schema per spelling of a field. */
function spellings(names: readonly string[], schema: object): Record<string, object> {
  return Object.fromEntries(names.map((name) => [name, schema]));
}

/** "At least one of these spellings is present". */
function oneSpellingRequired(names: readonly string[]): object {
  return { anyOf: names.map((name) => ({ required: [name] })) };
}

/**
 * JSON Schema (draft 2020-12) of one Zeek conn record, as Zeek's JSON writer and its Kafka plugin
 * produce it. Published for direct producers; the edge and the enricher check the same rules.
 */
export const ZEEK_CONN_SCHEMA = {
  $id: 'https://telemetry-api.dev/schemas/zeek.conn.v1.json',
  title: 'Zeek conn.log record',
  type: 'object',
  properties: {
    ts: timestamp,
    uid: { type: 'string' },
    ...spellings(['id.orig_h', 'id_orig_h', 'id.resp_h', 'id_resp_h'], ip),
    ...spellings(['id.orig_p', 'id_orig_p', 'id.resp_p', 'id_resp_p'], port),
    id: {
      type: 'object',
      properties: { orig_h: ip, orig_p: port, resp_h: ip, resp_p: port },
    },
    proto: { type: 'string' },
    service: { type: 'string' },
    duration: count,
    orig_bytes: count,
    resp_bytes: count,
    orig_pkts: count,
    resp_pkts: count,
    conn_state: { type: 'string' },
    history: { type: 'string' },
  },
  required: ['ts'],
  // The endpoints are required under one of the three spellings.
  anyOf: [
    { required: ['id.orig_h', 'id.resp_h'] },
    { required: ['id_orig_h', 'id_resp_h'] },
    { required: ['id'], properties: { id: { required: ['orig_h', 'resp_h'] } } },
  ],
  additionalProperties: true,
} as const;

/**
 * JSON Schema of one flows.v1 record: the canonical names and the NetFlow v9 / IPFIX / goflow2
 * spellings (FLOW_FIELD_SPELLINGS). Unknown fields are allowed and kept.
 */
export const FLOWS_V1_SCHEMA = {
  $id: 'https://telemetry-api.dev/schemas/flows.v1.json',
  title: 'flows.v1 record (NetFlow / IPFIX / goflow2 JSON)',
  type: 'object',
  properties: {
    ...spellings(FLOW_FIELD_SPELLINGS.ts, timestamp),
    ...spellings(FLOW_FIELD_SPELLINGS.srcIp, ip),
    ...spellings(FLOW_FIELD_SPELLINGS.dstIp, ip),
    ...spellings(FLOW_FIELD_SPELLINGS.srcPort, port),
    ...spellings(FLOW_FIELD_SPELLINGS.dstPort, port),
    ...spellings(FLOW_FIELD_SPELLINGS.protocol, protocol),
    ...spellings(FLOW_FIELD_SPELLINGS.bytes, count),
    ...spellings(FLOW_FIELD_SPELLINGS.packets, count),
    // The sampling rate multiplies bytes and packets, so it must be a count too (0: not sampled).
    ...spellings(FLOW_EXPORTER_FIELD_SPELLINGS.samplingRate, count),
  },
  allOf: [oneSpellingRequired(FLOW_FIELD_SPELLINGS.srcIp), oneSpellingRequired(FLOW_FIELD_SPELLINGS.dstIp), oneSpellingRequired(FLOW_FIELD_SPELLINGS.ts)],
  additionalProperties: true,
} as const;

export const INGRESS_SCHEMAS: Readonly<Record<IngressFormat, object>> = {
  'zeek.conn': ZEEK_CONN_SCHEMA,
  'flows.v1': FLOWS_V1_SCHEMA,
};
