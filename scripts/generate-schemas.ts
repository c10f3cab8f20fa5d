/**
 * Publishes the ingress and output contracts of libs/contracts as JSON Schema files for producers
 * and consumers outside this project (Zeek's Kafka plugin, goflow2, Vector, sinks):
 *
 *   libs/contracts/schemas/zeek.conn.v1.schema.json        one message on telemetry.ingest.zeek-conn.v1
 *   libs/contracts/schemas/flows.v1.schema.json            one message on telemetry.ingest.flows.v1
 *   libs/contracts/schemas/ingress-headers.v1.schema.json  the Kafka headers of an ingress message
 *   libs/contracts/schemas/enriched.v1.schema.json         one message on telemetry.enriched.v1
 *
 * The schemas themselves are the contracts' exports, unchanged; this file adds only `$schema`, a
 * description and `examples`. `npm run schemas` rewrites the files; `libs/contracts/src/schemas.spec.ts`
 * fails when a committed file differs from what this produces, and validates every example.
 *
 * Imports are relative (not `@telemetry/contracts`) so that plain `tsc` can compile this file alone.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  DEFAULT_COLLECTOR,
  DEFAULT_TENANT,
  ENRICHED_FLOW_SCHEMA,
  ENRICHED_FLOW_SCHEMA_VERSION,
  HEADERS,
  IDENTIFIER_MAX_LENGTH,
  IDENTIFIER_PATTERN,
  INGRESS_FORMATS,
  INGRESS_SCHEMAS,
  TOPICS,
  type EnrichedFlow,
  type FlowRecord,
  type ZeekConnRecord,
} from '../libs/contracts/src';

export const JSON_SCHEMA_DIALECT = 'https://json-schema.org/draft/2020-12/schema';

/** W3C Trace Context `traceparent`: version-traceid-parentid-flags, lowercase hex; version ff and all-zero ids are invalid. */
export const TRACEPARENT_PATTERN = '^(?!ff)[0-9a-f]{2}-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}$';

const RFC3339_PATTERN = '^\\d{4}-\\d{2}-\\d{2}[Tt ]\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,9})?([Zz]|[+-]\\d{2}:\\d{2})$';

export interface SchemaFile {
  /** File name under libs/contracts/schemas/. */
  readonly fileName: string;
  readonly schema: Record<string, unknown>;
}

// --- examples: typed against the contracts' TypeScript types, validated by the spec ----------------

const ZEEK_EXAMPLES: ZeekConnRecord[] = [
  // Zeek's JSON writer and its Kafka plugin (default Kafka::json_timestamps = JSON::TS_EPOCH): dotted names.
  {
    ts: 1732291201.552108,
    uid: 'C9mWqv3R0aTtYgJ5Ce',
    'id.orig_h': '10.20.0.23',
    'id.orig_p': 49822,
    'id.resp_h': '45.155.205.233',
    'id.resp_p': 3389,
    proto: 'tcp',
    service: 'rdp',
    duration: 12.507331,
    orig_bytes: 2400000,
    resp_bytes: 18000,
    conn_state: 'SF',
    local_orig: true,
    local_resp: false,
    missed_bytes: 0,
    history: 'ShADadFf',
    orig_pkts: 1800,
    orig_ip_bytes: 2472000,
    resp_pkts: 900,
    resp_ip_bytes: 54000,
  },
  // JSON::TS_ISO8601 timestamps; Zeek omits unset fields (no service, duration or bytes on an unanswered SYN).
  {
    ts: '2024-11-22T16:00:03.412900Z',
    uid: 'CHr2eW4bDk9pQmZ1Xa',
    'id.orig_h': '10.20.0.40',
    'id.orig_p': 58802,
    'id.resp_h': '1.1.1.1',
    'id.resp_p': 853,
    proto: 'tcp',
    conn_state: 'S0',
    history: 'S',
    orig_pkts: 1,
    resp_pkts: 0,
  },
  // Shippers that replace dots (Filebeat, Logstash de_dot) write underscores.
  {
    ts: 1732288800.123,
    uid: 'CHhAvVGS1DHFjwGM9',
    id_orig_h: '10.0.0.15',
    id_orig_p: 51514,
    id_resp_h: '8.8.8.8',
    id_resp_p: 53,
    proto: 'udp',
    service: 'dns',
    orig_bytes: 42,
    resp_bytes: 90,
  },
  // Shippers that expand dotted names into objects write a nested `id`.
  {
    ts: 1732291204.001876,
    uid: 'CLq0vT7nKe3sWb5Yd2',
    id: { orig_h: '192.168.1.10', orig_p: 50233, resp_h: '81.2.69.160', resp_p: 445 },
    proto: 'tcp',
    service: 'smb',
    orig_bytes: 1200,
    resp_bytes: 3400,
  },
];

const FLOW_EXAMPLES: FlowRecord[] = [
  // flows.v1, the canonical names.
  { ts: 1732288805, src_ip: '10.1.2.3', dst_ip: '185.220.101.45', src_port: 55123, dst_port: 443, protocol: 'tcp', bytes: 1500000, packets: 1100 },
  // IPFIX information element names (RFC 7012), IPv6.
  {
    flowStartMilliseconds: 1732291222000,
    sourceIPv6Address: '2001:db8:30::15',
    destinationIPv6Address: '2001:4860:4860::8888',
    sourceTransportPort: 40220,
    destinationTransportPort: 443,
    protocolIdentifier: 6,
    octetDeltaCount: 7200,
    packetDeltaCount: 13,
  },
  // NetFlow v9 field names (RFC 3954), as nProbe and Logstash's netflow codec spell them.
  {
    first_switched: '2024-11-22T16:00:30.000Z',
    ipv4_src_addr: '10.40.0.9',
    ipv4_dst_addr: '185.220.101.45',
    l4_src_port: 51000,
    l4_dst_port: 443,
    protocol: 6,
    in_bytes: 48000,
    in_pkts: 60,
  },
  // goflow2 1.x JSON: PascalCase, Proto as a number.
  {
    Type: 'NETFLOW_V9',
    TimeReceived: 1732291210,
    SamplerAddress: '192.0.2.1',
    TimeFlowStartNs: 1732291206000000000,
    Bytes: 128,
    Packets: 2,
    SrcAddr: '10.1.2.4',
    DstAddr: '8.8.8.8',
    Etype: 2048,
    Proto: 17,
    SrcPort: 53000,
    DstPort: 53,
  },
  // goflow2 2.x JSON: snake_case, proto as a name.
  {
    type: 'IPFIX',
    time_received_ns: 1732291212104552000,
    sampler_address: '192.0.2.2',
    time_flow_start_ns: 1732291208000000000,
    bytes: 3120,
    packets: 9,
    src_addr: '10.1.2.6',
    dst_addr: '45.155.205.233',
    etype: 'IPv4',
    proto: 'TCP',
    src_port: 50022,
    dst_port: 22,
  },
];

const HEADER_EXAMPLES: Record<string, string>[] = [
  {
    [HEADERS.tenantId]: 'acme',
    [HEADERS.traceparent]: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    [HEADERS.collectorId]: 'zeek-sensor-1',
  },
  { [HEADERS.tenantId]: 'acme', [HEADERS.collectorId]: 'edge-router-1', [HEADERS.format]: 'flows.v1', [HEADERS.receivedAt]: '2024-11-22T16:00:31.020Z' },
  // No headers at all is valid: the record belongs to the default tenant and collector.
  {},
];

const ENRICHED_EXAMPLE: EnrichedFlow = {
  schema_version: ENRICHED_FLOW_SCHEMA_VERSION,
  event_id: '5f1d0a1c9b7e4d2a8c3b6e0f1a2d4c6b',
  tenant_id: 'acme',
  collector_id: 'zeek-sensor-1',
  format: 'zeek.conn',
  ts: 1732291201.552108,
  timestamp: '2024-11-22T16:00:01.552Z',
  src_ip: '10.20.0.23',
  src_port: 49822,
  dst_ip: '45.155.205.233',
  dst_port: 3389,
  proto: 'tcp',
  bytes: 2418000,
  packets: 2700,
  duration: 12.507331,
  zeek: {
    uid: 'C9mWqv3R0aTtYgJ5Ce',
    service: 'rdp',
    conn_state: 'SF',
    history: 'ShADadFf',
    orig_bytes: 2400000,
    resp_bytes: 18000,
    orig_pkts: 1800,
    resp_pkts: 900,
  },
  geo: {
    src: null,
    dst: { country: 'NL', city: 'Amsterdam', latitude: 52.3676, longitude: 4.9041, timezone: 'Europe/Amsterdam' },
  },
  asn: { src: null, dst: { number: 49870, organization: 'Alsycon B.V.' } },
  ti: { matches: [{ indicator: '45.155.205.233', category: 'C2', confidence: 85, source: 'threatlist.csv', field: 'dst_ip', ip: '45.155.205.233' }] },
  risk_score: 90,
  risk_reasons: [
    { code: 'base', points: 10, detail: 'base score' },
    {
      code: 'threat_intel_match',
      points: 60,
      detail: 'threat-intel match: dst_ip 45.155.205.233 in 45.155.205.233 (C2, confidence 85, source threatlist.csv)',
    },
    { code: 'sensitive_port', points: 10, detail: 'destination port 3389' },
    { code: 'large_upload_from_ephemeral_port', points: 10, detail: 'originator sent 2400000 bytes (> 1000000) from ephemeral source port 49822' },
  ],
  risk_policy: 'original-live@1',
  // The record as the producer sent it, untouched.
  original: { ...ZEEK_EXAMPLES[0] },
  ingest: { topic: TOPICS.ingestZeekConn, partition: 2, offset: '1042', received_at: '2024-11-22T16:00:02.003Z' },
  enriched_at: '2024-11-22T16:00:02.118Z',
};

// --- schema files -------------------------------------------------------------------------------

/** `$schema`, `$id`, title and description first, then the contract's own keywords, then examples. */
function publish(fileName: string, contract: object, description: string, examples: readonly unknown[]): SchemaFile {
  const { $id, title, ...rest } = contract as { $id?: string; title?: string; [keyword: string]: unknown };
  const schema: Record<string, unknown> = { $schema: JSON_SCHEMA_DIALECT };
  if ($id !== undefined) schema.$id = $id;
  if (title !== undefined) schema.title = title;
  schema.description = description;
  Object.assign(schema, rest, { examples });
  return { fileName, schema };
}

/** The Kafka headers a producer may set on an ingress message, as a JSON object of string values. */
function ingressHeadersSchema(): object {
  return {
    $id: 'https://telemetry-api.dev/schemas/ingress-headers.v1.json',
    title: 'Ingress message headers',
    type: 'object',
    properties: {
      [HEADERS.tenantId]: {
        type: 'string',
        minLength: 1,
        maxLength: IDENTIFIER_MAX_LENGTH,
        pattern: IDENTIFIER_PATTERN.source,
        description: `The tenant the record belongs to. Without it the record goes to the deployment's DEFAULT_TENANT ("${DEFAULT_TENANT}" unless configured).`,
      },
      [HEADERS.traceparent]: {
        type: 'string',
        pattern: TRACEPARENT_PATTERN,
        description: 'W3C Trace Context traceparent of the producing span; carried to the enriched record so one trace follows the flow.',
      },
      [HEADERS.collectorId]: {
        type: 'string',
        minLength: 1,
        maxLength: IDENTIFIER_MAX_LENGTH,
        pattern: IDENTIFIER_PATTERN.source,
        description: `The sensor or exporter that observed the flow (the enriched record's collector_id); "${DEFAULT_COLLECTOR}" when absent.`,
      },
      [HEADERS.format]: {
        enum: [...INGRESS_FORMATS],
        description: 'The ingress format. Optional: the topic implies it.',
      },
      [HEADERS.receivedAt]: {
        type: 'string',
        pattern: RFC3339_PATTERN,
        description: 'RFC 3339 time the record was received, when a relay knows it; otherwise the Kafka message timestamp is used.',
      },
    },
    // Kafka header values are bytes; these are read as UTF-8 strings. Other headers pass through.
    additionalProperties: { type: 'string' },
  };
}

/** Every schema file, built from what libs/contracts exports now. */
export function buildSchemaFiles(): SchemaFile[] {
  return [
    publish(
      'zeek.conn.v1.schema.json',
      INGRESS_SCHEMAS['zeek.conn'],
      `One Zeek conn.log record, one JSON object per Kafka message on ${TOPICS.ingestZeekConn} (Zeek's Kafka plugin with Kafka::tag_json = F, the default). ` +
        'The endpoints may be spelled id.orig_h (Zeek), id_orig_h, or as a nested id object; ts is epoch seconds, milliseconds or nanoseconds, or RFC 3339. ' +
        'Unknown fields are kept in the enriched record under original.',
      ZEEK_EXAMPLES,
    ),
    publish(
      'flows.v1.schema.json',
      INGRESS_SCHEMAS['flows.v1'],
      `One flow record, one JSON object per Kafka message on ${TOPICS.ingestFlows}: the canonical flows.v1 names, or the NetFlow v9, IPFIX or goflow2 JSON spellings. ` +
        'Where a record carries several spellings of a field, the first in the documented order wins. Unknown fields are kept under original.',
      FLOW_EXAMPLES,
    ),
    publish(
      'ingress-headers.v1.schema.json',
      ingressHeadersSchema(),
      `Kafka headers of a message on ${TOPICS.ingestZeekConn} or ${TOPICS.ingestFlows}, as a JSON object of header name to UTF-8 string value. Every header is optional.`,
      HEADER_EXAMPLES,
    ),
    publish(
      'enriched.v1.schema.json',
      ENRICHED_FLOW_SCHEMA,
      `One enriched flow, one JSON object per Kafka message on ${TOPICS.enriched} and per line of GET /v1/download/json. ` +
        'Within version 1 only optional fields are added.',
      [ENRICHED_EXAMPLE],
    ),
  ];
}

/** The text a schema file holds: two-space JSON with a final newline. */
export function renderSchemaFile(file: SchemaFile): string {
  return `${JSON.stringify(file.schema, null, 2)}\n`;
}

/** The repository root: the nearest directory above `start` with a package.json (works from scripts/ and from a compiled copy). */
export function repositoryRoot(start: string = __dirname): string {
  let dir = start;
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${start}`);
    dir = parent;
  }
  return dir;
}

export function schemasDirectory(): string {
  return path.join(repositoryRoot(), 'libs', 'contracts', 'schemas');
}

function main(): void {
  const dir = schemasDirectory();
  fs.mkdirSync(dir, { recursive: true });
  for (const file of buildSchemaFiles()) {
    const target = path.join(dir, file.fileName);
    fs.writeFileSync(target, renderSchemaFile(file));
    console.log(`wrote ${path.relative(process.cwd(), target)}`);
  }
}

if (require.main === module) main();
