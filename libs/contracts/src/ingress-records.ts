/**
 * Ingress record shapes, one record per message on the ingress topics, as their producers write them.
 * The schemas here are the edge validation: they check what the enricher needs and keep every
 * other field (additionalProperties is allowed, so nothing a user sent disappears).
 */
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

export function canonicalFormat(name: string): IngressFormat | undefined {
  return FORMAT_ALIASES[name.trim().toLowerCase()];
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
const port = { type: 'integer', minimum: 0, maximum: 65535 } as const;
const count = { type: 'number', minimum: 0 } as const;
const timestamp = { anyOf: [{ type: 'number', minimum: 0 }, { type: 'string', minLength: 1, maxLength: 64 }] } as const;
const protocol = { anyOf: [{ type: 'string', minLength: 1, maxLength: 16 }, { type: 'integer', minimum: 0, maximum: 255 }] } as const;

/** JSON Schema (draft 2020-12 subset understood by Ajv) of one Zeek conn record. */
export const ZEEK_CONN_SCHEMA = {
  $id: 'https://telemetry-api.dev/schemas/zeek.conn.v1.json',
  title: 'Zeek conn.log record',
  type: 'object',
  properties: {
    ts: timestamp,
    uid: { type: 'string' },
    'id.orig_h': ip,
    'id.orig_p': port,
    'id.resp_h': ip,
    'id.resp_p': port,
    id_orig_h: ip,
    id_orig_p: port,
    id_resp_h: ip,
    id_resp_p: port,
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

/** JSON Schema of one flows.v1 record (the canonical field names). */
export const FLOWS_V1_SCHEMA = {
  $id: 'https://telemetry-api.dev/schemas/flows.v1.json',
  title: 'flows.v1 record',
  type: 'object',
  properties: {
    ts: timestamp,
    timestamp,
    src_ip: ip,
    dst_ip: ip,
    src_port: port,
    dst_port: port,
    protocol,
    proto: protocol,
    bytes: count,
    packets: count,
  },
  required: ['src_ip', 'dst_ip'],
  anyOf: [{ required: ['ts'] }, { required: ['timestamp'] }],
  additionalProperties: true,
} as const;

export const INGRESS_SCHEMAS: Readonly<Record<IngressFormat, object>> = {
  'zeek.conn': ZEEK_CONN_SCHEMA,
  'flows.v1': FLOWS_V1_SCHEMA,
};
