/**
 * Builders for the enrichment specs: a realistic default per input shape, overridden per test
 * (`aZeekConn({ dstPort: 3389 })`). A `null` override leaves the field out of the record.
 */
import { NORMALIZED_FLOW_SCHEMA_VERSION, type NormalizedFlow, type ThreatMatch } from '@telemetry/contracts';
import type { Indicator } from '../threat-intel';
import type { IngressContext } from '../normalize';

type Value = unknown;

function put(record: Record<string, unknown>, key: string, value: Value): void {
  if (value !== null && value !== undefined) record[key] = value;
}

export interface ZeekConnOptions {
  /** How the endpoint fields are spelled: `id.orig_h`, `id_orig_h`, or a nested `id` object. */
  spelling?: 'dotted' | 'underscore' | 'nested';
  ts?: Value;
  uid?: Value;
  srcIp?: Value;
  srcPort?: Value;
  dstIp?: Value;
  dstPort?: Value;
  proto?: Value;
  service?: Value;
  duration?: Value;
  origBytes?: Value;
  respBytes?: Value;
  origPkts?: Value;
  respPkts?: Value;
  connState?: Value;
  history?: Value;
  extra?: Record<string, unknown>;
}

/** A Zeek conn.log JSON record (dotted spelling unless told otherwise). */
export function aZeekConn(options: ZeekConnOptions = {}): Record<string, unknown> {
  const o: ZeekConnOptions = {
    spelling: 'dotted',
    ts: 1700000000.123456,
    uid: 'CHhAvVGS1DHFjwGM9',
    srcIp: '10.0.0.5',
    srcPort: 51234,
    dstIp: '93.184.216.34',
    dstPort: 443,
    proto: 'tcp',
    service: 'ssl',
    duration: 1.25,
    origBytes: 1200,
    respBytes: 5400,
    origPkts: 10,
    respPkts: 12,
    connState: 'SF',
    history: 'ShADadFf',
    ...options,
  };
  const record: Record<string, unknown> = {};
  put(record, 'ts', o.ts);
  put(record, 'uid', o.uid);
  if (o.spelling === 'nested') {
    const id: Record<string, unknown> = {};
    put(id, 'orig_h', o.srcIp);
    put(id, 'orig_p', o.srcPort);
    put(id, 'resp_h', o.dstIp);
    put(id, 'resp_p', o.dstPort);
    record.id = id;
  } else {
    const sep = o.spelling === 'underscore' ? '_' : '.';
    put(record, `id${sep}orig_h`, o.srcIp);
    put(record, `id${sep}orig_p`, o.srcPort);
    put(record, `id${sep}resp_h`, o.dstIp);
    put(record, `id${sep}resp_p`, o.dstPort);
  }
  put(record, 'proto', o.proto);
  put(record, 'service', o.service);
  put(record, 'duration', o.duration);
  put(record, 'orig_bytes', o.origBytes);
  put(record, 'resp_bytes', o.respBytes);
  put(record, 'conn_state', o.connState);
  put(record, 'local_orig', true);
  put(record, 'local_resp', false);
  put(record, 'missed_bytes', 0);
  put(record, 'history', o.history);
  put(record, 'orig_pkts', o.origPkts);
  put(record, 'resp_pkts', o.respPkts);
  return { ...record, ...options.extra };
}

export interface FlowRecordOptions {
  ts?: Value;
  srcIp?: Value;
  dstIp?: Value;
  srcPort?: Value;
  dstPort?: Value;
  protocol?: Value;
  bytes?: Value;
  packets?: Value;
  extra?: Record<string, unknown>;
}

/** A flows.v1 record with the canonical field names. */
export function aFlowRecord(options: FlowRecordOptions = {}): Record<string, unknown> {
  const o: FlowRecordOptions = {
    ts: 1700000000,
    srcIp: '192.168.1.20',
    dstIp: '8.8.8.8',
    srcPort: 53000,
    dstPort: 53,
    protocol: 'udp',
    bytes: 120,
    packets: 2,
    ...options,
  };
  const record: Record<string, unknown> = {};
  put(record, 'ts', o.ts);
  put(record, 'src_ip', o.srcIp);
  put(record, 'dst_ip', o.dstIp);
  put(record, 'src_port', o.srcPort);
  put(record, 'dst_port', o.dstPort);
  put(record, 'protocol', o.protocol);
  put(record, 'bytes', o.bytes);
  put(record, 'packets', o.packets);
  return { ...record, ...options.extra };
}

/** A goflow2 (v1, `-format=json`) record, as its Kafka transport writes it. */
export function aGoflow2Record(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    Type: 'NETFLOW_V9',
    TimeReceived: 1700000005,
    SequenceNum: 4242,
    SamplingRate: 0,
    SamplerAddress: '192.0.2.1',
    TimeFlowStart: 1700000000,
    TimeFlowEnd: 1700000004,
    Bytes: 4200,
    Packets: 7,
    SrcAddr: '198.51.100.7',
    DstAddr: '203.0.113.9',
    Etype: 2048,
    Proto: 6,
    SrcPort: 49152,
    DstPort: 3389,
    InIf: 1,
    OutIf: 2,
    ...overrides,
  };
}

export function anIngressContext(overrides: Partial<IngressContext> = {}): IngressContext {
  return {
    tenantId: 'acme',
    collectorId: 'edge-1',
    topic: 'telemetry.ingest.zeek-conn.v1',
    partition: 3,
    offset: '42',
    receivedAt: '2023-11-14T22:13:25.000Z',
    ...overrides,
  };
}

/** A NormalizedFlow as normalize() would produce it, for policy and enrich specs. */
export function aNormalizedFlow(overrides: Partial<NormalizedFlow> = {}): NormalizedFlow {
  return {
    schemaVersion: NORMALIZED_FLOW_SCHEMA_VERSION,
    eventId: '0123456789abcdef0123456789abcdef',
    tenantId: 'acme',
    collectorId: 'edge-1',
    format: 'flows.v1',
    tsMs: 1700000000000,
    srcIp: '192.168.1.20',
    dstIp: '8.8.8.8',
    srcPort: 443,
    dstPort: 50000,
    protocol: 'tcp',
    bytes: 1500,
    packets: 3,
    origBytes: null,
    durationSec: null,
    original: { src_ip: '192.168.1.20', dst_ip: '8.8.8.8' },
    ingress: { topic: 'telemetry.ingest.flows.v1', partition: 0, offset: '7', receivedAt: '2023-11-14T22:13:21.000Z' },
    ...overrides,
  };
}

export function anIndicator(overrides: Partial<Indicator> = {}): Indicator {
  return { indicator: '45.155.205.233', category: 'C2', confidence: 85, source: 'threats.csv', ...overrides };
}

export function aThreatMatch(overrides: Partial<ThreatMatch> = {}): ThreatMatch {
  return {
    indicator: '45.155.205.233',
    category: 'C2',
    confidence: 85,
    source: 'threats.csv',
    field: 'dst_ip',
    ip: '45.155.205.233',
    ...overrides,
  };
}
