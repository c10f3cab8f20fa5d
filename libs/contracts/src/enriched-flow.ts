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
  duration: number | null;
  zeek?: Record<string, unknown>;
  geo: { src: GeoInfo | null; dst: GeoInfo | null };
  asn: { src: AsnInfo | null; dst: AsnInfo | null };
  ti: { matches: ThreatMatch[] };
  risk_score: number;
  risk_reasons: RiskReason[];
  /** Name and version of the scoring policy that produced the score. */
  risk_policy: string;
  original: Record<string, unknown>;
  ingest: { topic: string; partition: number; offset: string; received_at: string };
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
