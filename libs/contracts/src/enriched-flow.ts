/**
 * `telemetry.enriched.v1`: the enriched flow, as sinks and the query side read it. Field names are
 * snake_case, as in the original product's output. Within version 1 only optional fields are added.
 */
export const ENRICHED_FLOW_SCHEMA_VERSION = 1;

export interface GeoInfo {
  country: string | null;
  city: string | null;
  latitude: number | null;
  longitude: number | null;
  timezone: string | null;
}

export interface AsnInfo {
  number: number;
  organization: string | null;
}

export interface ThreatMatch {
  /** The indicator as listed: an address or a CIDR. */
  indicator: string;
  category: string;
  /** 0-100. */
  confidence: number;
  /** Where the indicator came from: a feed or file name. */
  source: string;
  /** Which side of the flow matched. */
  field: 'src_ip' | 'dst_ip';
  ip: string;
}

export interface RiskReason {
  /** Stable code of the rule, e.g. `base`, `threat_intel_match`, `sensitive_port`, `large_upload`. */
  code: string;
  points: number;
  detail: string;
}

export interface EnrichedFlow {
  schema_version: typeof ENRICHED_FLOW_SCHEMA_VERSION;
  event_id: string;
  tenant_id: string;
  collector_id: string;
  format: 'zeek.conn' | 'flows.v1';
  /** Epoch seconds (float), as Zeek writes it. */
  ts: number;
  /** RFC 3339 of `ts`. */
  timestamp: string;
  src_ip: string;
  src_port: number | null;
  dst_ip: string;
  dst_port: number | null;
  proto: string | null;
  bytes: number | null;
  packets: number | null;
  /** Seconds; from the producer's duration, or flow end minus start (goflow2 `time_flow_end_ns`). */
  duration: number | null;
  zeek?: Record<string, unknown>;
  /** The exporter's (sampler's) address, e.g. goflow2 `sampler_address`. */
  exporter?: string;
  /** SNMP index of the input and output interface, as exported. */
  in_if?: number;
  out_if?: number;
  /** The source and destination AS as the exporter saw them (its BGP view; `asn` is the GeoIP one). */
  src_as?: number;
  dst_as?: number;
  next_hop?: string;
  /** TCP flags OR-ed over the flow (CWR..FIN = bits 7..0; IPFIX tcpControlBits has 16). */
  tcp_flags?: number;
  /** IP type of service / traffic class byte. */
  tos?: number;
  /** 1 in N packets sampled: `bytes` and `packets` are multiplied by it; the exported counts are `sampled_*`. */
  sampling_rate?: number;
  sampled_bytes?: number | null;
  sampled_packets?: number | null;
  /**
   * `exporter`: `ts` is the flow's own time; `received`: the exporter's clock was off by more than
   * the enricher's MAX_CLOCK_SKEW_S, so `ts` is the receive time and `exported_ts` the time it gave.
   */
  ts_source?: 'exporter' | 'received';
  /** The flow's end (start + duration, or start) by the exporter's clock, minus the receive time, in seconds. */
  clock_skew_s?: number;
  /** Epoch seconds the exporter gave as the flow's start, when `ts` is the receive time instead. */
  exported_ts?: number;
  geo: { src: GeoInfo | null; dst: GeoInfo | null };
  asn: { src: AsnInfo | null; dst: AsnInfo | null };
  ti: { matches: ThreatMatch[] };
  risk_score: number;
  risk_reasons: RiskReason[];
  /** Name and version of the scoring policy that produced the score. */
  risk_policy: string;
  original: Record<string, unknown>;
  ingest: {
    topic: string;
    partition: number;
    offset: string;
    /** The record's line in the ingress frame at that offset, from 0; absent when the message was one record. */
    index?: number;
    received_at: string;
    /** The wrapping taken off the message: `zeek-tag-json`, `kafka-connect`, `goflow2-protobuf`. */
    envelope?: string;
  };
  enriched_at: string;
}

const nullableString = { type: ['string', 'null'] } as const;
const nullableNumber = { type: ['number', 'null'] } as const;
const geo = {
  type: ['object', 'null'],
  properties: { country: nullableString, city: nullableString, latitude: nullableNumber, longitude: nullableNumber, timezone: nullableString },
} as const;
const asn = { type: ['object', 'null'], properties: { number: { type: 'integer' }, organization: nullableString }, required: ['number'] } as const;

export const ENRICHED_FLOW_SCHEMA = {
  $id: 'https://telemetry-api.dev/schemas/enriched.v1.json',
  title: 'Enriched flow (telemetry.enriched.v1)',
  type: 'object',
  properties: {
    schema_version: { const: ENRICHED_FLOW_SCHEMA_VERSION },
    event_id: { type: 'string', minLength: 1 },
    tenant_id: { type: 'string', minLength: 1 },
    collector_id: { type: 'string' },
    format: { enum: ['zeek.conn', 'flows.v1'] },
    ts: { type: 'number' },
    timestamp: { type: 'string' },
    src_ip: { type: 'string' },
    dst_ip: { type: 'string' },
    src_port: { type: ['integer', 'null'] },
    dst_port: { type: ['integer', 'null'] },
    proto: nullableString,
    bytes: nullableNumber,
    packets: nullableNumber,
    duration: nullableNumber,
    exporter: { type: 'string' },
    in_if: { type: 'integer', minimum: 0 },
    out_if: { type: 'integer', minimum: 0 },
    src_as: { type: 'integer', minimum: 0 },
    dst_as: { type: 'integer', minimum: 0 },
    next_hop: { type: 'string' },
    tcp_flags: { type: 'integer', minimum: 0, maximum: 65535 },
    tos: { type: 'integer', minimum: 0, maximum: 255 },
    sampling_rate: { type: 'number', exclusiveMinimum: 0 },
    sampled_bytes: nullableNumber,
    sampled_packets: nullableNumber,
    ts_source: { enum: ['exporter', 'received'] },
    clock_skew_s: { type: 'number' },
    exported_ts: { type: 'number' },
    ingest: {
      type: 'object',
      properties: {
        topic: { type: 'string' },
        partition: { type: 'integer' },
        offset: { type: 'string' },
        index: { type: 'integer', minimum: 0 },
        received_at: { type: 'string' },
        envelope: { enum: ['zeek-tag-json', 'kafka-connect', 'goflow2-protobuf'] },
      },
    },
    geo: { type: 'object', properties: { src: geo, dst: geo }, required: ['src', 'dst'] },
    asn: { type: 'object', properties: { src: asn, dst: asn }, required: ['src', 'dst'] },
    ti: {
      type: 'object',
      properties: {
        matches: {
          type: 'array',
          items: {
            type: 'object',
            properties: {
              indicator: { type: 'string' },
              category: { type: 'string' },
              confidence: { type: 'number', minimum: 0, maximum: 100 },
              source: { type: 'string' },
              field: { enum: ['src_ip', 'dst_ip'] },
              ip: { type: 'string' },
            },
            required: ['indicator', 'category', 'confidence', 'source', 'field', 'ip'],
          },
        },
      },
      required: ['matches'],
    },
    risk_score: { type: 'integer', minimum: 0, maximum: 100 },
    risk_reasons: {
      type: 'array',
      items: {
        type: 'object',
        properties: { code: { type: 'string' }, points: { type: 'number' }, detail: { type: 'string' } },
        required: ['code', 'points', 'detail'],
      },
    },
    risk_policy: { type: 'string' },
  },
  required: [
    'schema_version',
    'event_id',
    'tenant_id',
    'format',
    'ts',
    'timestamp',
    'src_ip',
    'dst_ip',
    'geo',
    'asn',
    'ti',
    'risk_score',
    'risk_reasons',
    'risk_policy',
  ],
  additionalProperties: true,
} as const;
