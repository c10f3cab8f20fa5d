import { hash } from 'node:crypto';
import {
  FLOW_EXPORTER_FIELD_SPELLINGS,
  FLOW_FIELD_SPELLINGS,
  NORMALIZED_FLOW_SCHEMA_VERSION,
  type IngressEnvelope,
  type IngressFormat,
  type NormalizedFlow,
} from '@telemetry/contracts';
import { canonicalIp } from './ip-address';

/** Where a record came from: the ingress coordinates and the envelope the adapter read. */
export interface IngressContext {
  readonly tenantId: string;
  readonly collectorId: string;
  readonly topic: string;
  readonly partition: number;
  /** Decimal string, as Kafka offsets are. */
  readonly offset: string;
  /** The record's line in a frame (record-frames.ts) at that offset; absent for a message of one record. */
  readonly index?: number;
  /** RFC 3339. */
  readonly receivedAt: string;
  /** The wrapping taken off the message (see unwrapRecord), if any. */
  readonly envelope?: IngressEnvelope;
  /**
   * How far (seconds, either way) the flow's end by the exporter's clock may be from the receive
   * time before the receive time dates the flow instead. DEFAULT_MAX_CLOCK_SKEW_S when absent.
   */
  readonly maxClockSkewSec?: number;
  /**
   * The record is an upload (the `origin: rest` header): a flow time in the past stands however old
   * (the logs of last week, uploaded today); one ahead of the receive time is still replaced.
   */
  readonly keepsPastTimes?: boolean;
}

/** MAX_CLOCK_SKEW_S's default: five minutes, well beyond NTP drift and export delays. */
export const DEFAULT_MAX_CLOCK_SKEW_S = 300;

/** Stable codes: they end up in dead-letter headers, where users filter on them. */
export const NORMALIZE_ERROR_CODES = {
  missingField: 'missing_field',
  invalidIp: 'invalid_ip',
  invalidPort: 'invalid_port',
  invalidTimestamp: 'invalid_timestamp',
  invalidNumber: 'invalid_number',
  /** The record is not a JSON object at all. */
  invalidRecord: 'invalid_record',
} as const;

export type NormalizeErrorCode = (typeof NORMALIZE_ERROR_CODES)[keyof typeof NORMALIZE_ERROR_CODES];

export interface NormalizeError {
  readonly code: NormalizeErrorCode;
  /** The field as the producer spelled it (`id_orig_h`, `SrcAddr`, …); the canonical name when missing. */
  readonly field: string;
  readonly message: string;
}

export type NormalizeResult = { readonly ok: true; readonly flow: NormalizedFlow } | { readonly ok: false; readonly error: NormalizeError };

type Json = Readonly<Record<string, unknown>>;

class Invalid {
  constructor(readonly error: NormalizeError) {}
}

function fail(code: NormalizeErrorCode, field: string, message: string): Invalid {
  return new Invalid({ code, field, message });
}

// --- field spellings, first present wins -------------------------------------------------------

const FLOW_SRC_IP = FLOW_FIELD_SPELLINGS.srcIp;
const FLOW_DST_IP = FLOW_FIELD_SPELLINGS.dstIp;
const FLOW_SRC_PORT = FLOW_FIELD_SPELLINGS.srcPort;
const FLOW_DST_PORT = FLOW_FIELD_SPELLINGS.dstPort;
const FLOW_PROTOCOL = FLOW_FIELD_SPELLINGS.protocol;
const FLOW_BYTES = FLOW_FIELD_SPELLINGS.bytes;
const FLOW_PACKETS = FLOW_FIELD_SPELLINGS.packets;
const FLOW_TS = FLOW_FIELD_SPELLINGS.ts;

/** Returns the first of `names` whose value is present (not undefined, not null: 0 and '' are values). */
function firstPresent(record: Json, names: readonly string[]): string | undefined {
  for (let i = 0; i < names.length; i++) {
    const value = record[names[i]];
    if (value !== undefined && value !== null) return names[i];
  }
  return undefined;
}

function isPresent(value: unknown): boolean {
  return value !== undefined && value !== null;
}

// --- value parsers ------------------------------------------------------------------------------

function ipValue(value: unknown, field: string): string | Invalid {
  const ip = canonicalIp(value);
  if (ip === null) return fail('invalid_ip', field, `${field} is not an IPv4 or IPv6 address: ${JSON.stringify(value)}`);
  return ip;
}

const DIGITS = /^\d+$/;
const DECIMAL = /^(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

function portValue(value: unknown, field: string): number | null | Invalid {
  if (!isPresent(value)) return null;
  const n = typeof value === 'number' ? value : typeof value === 'string' && DIGITS.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    return fail('invalid_port', field, `${field} must be an integer 0-65535, got ${JSON.stringify(value)}`);
  }
  return n;
}

/** A non-negative count or duration. Numeric strings are accepted: protobuf JSON (goflow2) writes uint64 as strings. */
function numberValue(value: unknown, field: string): number | null | Invalid {
  if (!isPresent(value)) return null;
  const n = typeof value === 'number' ? value : typeof value === 'string' && DECIMAL.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isFinite(n) || n < 0) {
    return fail('invalid_number', field, `${field} must be a non-negative number, got ${JSON.stringify(value)}`);
  }
  return n;
}

const IANA_PROTOCOLS: Readonly<Record<number, string>> = { 1: 'icmp', 6: 'tcp', 17: 'udp', 47: 'gre', 50: 'esp', 58: 'icmpv6', 132: 'sctp' };
const PROTOCOL_ALIASES: Readonly<Record<string, string>> = { 'ipv6-icmp': 'icmpv6', icmp6: 'icmpv6' };

/** A protocol name (lowercased) or IANA number (named when well known, else kept as the number's text). */
function protocolValue(value: unknown, field: string): string | null | Invalid {
  if (!isPresent(value)) return null;
  if (typeof value === 'string') {
    const name = value.trim().toLowerCase();
    if (name === '') return null;
    // Own keys only: "constructor" or "__proto__" would otherwise come back as Object.prototype's members.
    if (!DIGITS.test(name)) return Object.hasOwn(PROTOCOL_ALIASES, name) ? PROTOCOL_ALIASES[name] : name;
    value = Number(name);
  }
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 255) {
    return IANA_PROTOCOLS[value] ?? String(value);
  }
  return fail('invalid_number', field, `${field} must be a protocol name or a number 0-255, got ${JSON.stringify(value)}`);
}

/** Year 10000: beyond it a timestamp no longer has an RFC 3339 spelling. */
const MAX_TS_MS = 253402300800000;
const SECONDS_BELOW = 1e11; // 1e11 s is year 5138; 1e11 ms is only 1973
const MILLIS_BELOW = 1e14; // 1e14 ms is year 5138; 1e14 µs is 1973
const MICROS_BELOW = 1e17; // 1e17 µs is year 5138; 1e17 ns is 1973

/**
 * Epoch numbers carry no unit, so the unit is decided by magnitude: below 1e11 seconds, below 1e14
 * milliseconds, below 1e17 microseconds, else nanoseconds. Each threshold is year 5138 in the
 * smaller unit and 1973 in the larger, so any flow from 1973 to 5138 is read correctly whatever the
 * exporter used. Fractions are kept (Zeek writes microseconds as the fraction of a second).
 */
export function epochToMs(n: number): number {
  if (n < SECONDS_BELOW) return n * 1000;
  if (n < MILLIS_BELOW) return n;
  if (n < MICROS_BELOW) return n / 1000;
  return n / 1e6;
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

/** RFC 3339 with a mandatory offset; out-of-range parts (Feb 30, 25:00) are refused, not rolled over. */
export function parseRfc3339(text: string): number | null {
  const m = RFC3339.exec(text);
  if (m === null) return null;
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4], m[5], m[6]].map(Number);
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 60) return null;
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day < 1 || day > daysInMonth) return null;
  let ms = Date.UTC(year, month - 1, day, hour, minute, second);
  if (year < 100) ms = new Date(ms).setUTCFullYear(year); // Date.UTC maps years 0-99 to 1900-1999
  if (m[7] !== undefined) ms += Number(`0.${m[7]}`) * 1000;
  if (m[9] !== undefined) {
    const offsetHours = Number(m[10]);
    const offsetMinutes = Number(m[11]);
    if (offsetHours > 23 || offsetMinutes > 59) return null;
    const offset = (offsetHours * 60 + offsetMinutes) * 60000;
    ms += m[9] === '+' ? -offset : offset;
  }
  return ms;
}

function timestampValue(value: unknown, field: string): number | Invalid {
  let ms: number | null = null;
  if (typeof value === 'number') {
    ms = Number.isFinite(value) && value >= 0 ? epochToMs(value) : null;
  } else if (typeof value === 'string') {
    const text = value.trim();
    ms = DECIMAL.test(text) ? epochToMs(Number(text)) : parseRfc3339(text);
  }
  if (ms === null || !Number.isFinite(ms) || ms < 0 || ms >= MAX_TS_MS) {
    return fail(
      'invalid_timestamp',
      field,
      `${field} must be epoch seconds, milliseconds or nanoseconds, or an RFC 3339 date-time with an offset, got ${JSON.stringify(value)}`,
    );
  }
  return ms;
}

function sumPresent(a: number | null, b: number | null): number | null {
  return a === null && b === null ? null : (a ?? 0) + (b ?? 0);
}

/**
 * Stable across redelivery: the same ingress record always gives the same 128-bit hex id. The first
 * 48 bits are the record's receive time in epoch ms and the other 80 a hash of its log coordinates,
 * so ids rise with ingest time: a read model's unique index on them grows at its right edge instead
 * of taking inserts at random pages (at 1M rows the embedded projection ran at half speed with ids
 * that were all hash; see the projection-scale stage of `npm run bench`). A receive time that is not
 * a number or outside 0 .. 2^48 ms puts 0 there; the id stays unique by its hash. A record of a
 * frame adds its index to the coordinates; a message of one record hashes as it always did.
 */
export function eventIdFor(topic: string, partition: number, offset: string, receivedAtMs: number, index?: number): string {
  const ms = Number.isSafeInteger(receivedAtMs) && receivedAtMs >= 0 && receivedAtMs < 2 ** 48 ? receivedAtMs : 0;
  const coordinates = index === undefined ? `${topic}/${partition}/${offset}` : `${topic}/${partition}/${offset}/${index}`;
  // crypto.hash, the one-shot form: the same digest as createHash().update().digest(), at about half the cost per id.
  const digest = hash('sha256', coordinates, 'hex');
  return ms.toString(16).padStart(12, '0') + digest.slice(0, 20);
}

// --- formats ------------------------------------------------------------------------------------

interface Fields {
  tsMs: number;
  srcIp: string;
  dstIp: string;
  srcPort: number | null;
  dstPort: number | null;
  protocol: string | null;
  bytes: number | null;
  packets: number | null;
  origBytes: number | null;
  durationSec: number | null;
  zeek?: NonNullable<NormalizedFlow['zeek']>;
  exporter?: NonNullable<NormalizedFlow['exporter']>;
  sampling?: NonNullable<NormalizedFlow['sampling']>;
}

/** Zeek writes `-` for an unset field in TSV logs, and some TSV→JSON shippers keep it. */
function zeekValue(value: unknown): unknown {
  return value === '-' ? undefined : value;
}

/** A Zeek endpoint field under any of its three spellings: `id.orig_h`, `id_orig_h`, `id: { orig_h }`. */
function zeekId(record: Json, id: Json | undefined, key: string): { field: string; value: unknown } {
  const dotted = `id.${key}`;
  const dottedValue = zeekValue(record[dotted]);
  if (isPresent(dottedValue)) return { field: dotted, value: dottedValue };
  const underscored = `id_${key}`;
  const underscoredValue = zeekValue(record[underscored]);
  if (isPresent(underscoredValue)) return { field: underscored, value: underscoredValue };
  return { field: dotted, value: id === undefined ? undefined : zeekValue(id[key]) };
}

function zeekFields(record: Json): Fields | Invalid {
  const id = isObject(record.id) ? record.id : undefined;
  const origH = zeekId(record, id, 'orig_h');
  if (!isPresent(origH.value)) return fail('missing_field', 'id.orig_h', 'id.orig_h (or id_orig_h) is required');
  const respH = zeekId(record, id, 'resp_h');
  if (!isPresent(respH.value)) return fail('missing_field', 'id.resp_h', 'id.resp_h (or id_resp_h) is required');
  const ts = zeekValue(record.ts);
  if (!isPresent(ts)) return fail('missing_field', 'ts', 'ts is required');

  const srcIp = ipValue(origH.value, origH.field);
  if (srcIp instanceof Invalid) return srcIp;
  const dstIp = ipValue(respH.value, respH.field);
  if (dstIp instanceof Invalid) return dstIp;
  const tsMs = timestampValue(ts, 'ts');
  if (tsMs instanceof Invalid) return tsMs;
  const origP = zeekId(record, id, 'orig_p');
  const srcPort = portValue(origP.value, origP.field);
  if (srcPort instanceof Invalid) return srcPort;
  const respP = zeekId(record, id, 'resp_p');
  const dstPort = portValue(respP.value, respP.field);
  if (dstPort instanceof Invalid) return dstPort;
  const protocol = protocolValue(zeekValue(record.proto), 'proto');
  if (protocol instanceof Invalid) return protocol;

  const counts: Record<'orig_bytes' | 'resp_bytes' | 'orig_pkts' | 'resp_pkts' | 'duration', number | null> = {
    orig_bytes: null,
    resp_bytes: null,
    orig_pkts: null,
    resp_pkts: null,
    duration: null,
  };
  for (const field of Object.keys(counts) as Array<keyof typeof counts>) {
    const n = numberValue(zeekValue(record[field]), field);
    if (n instanceof Invalid) return n;
    counts[field] = n;
  }

  const zeek: { -readonly [K in keyof NonNullable<NormalizedFlow['zeek']>]: NonNullable<NormalizedFlow['zeek']>[K] } = {};
  const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '-' ? v : undefined);
  const uid = text(record.uid);
  if (uid !== undefined) zeek.uid = uid;
  const service = text(record.service);
  if (service !== undefined) zeek.service = service;
  const connState = text(record.conn_state);
  if (connState !== undefined) zeek.connState = connState;
  const history = text(record.history);
  if (history !== undefined) zeek.history = history;
  if (counts.orig_bytes !== null) zeek.origBytes = counts.orig_bytes;
  if (counts.resp_bytes !== null) zeek.respBytes = counts.resp_bytes;
  if (counts.orig_pkts !== null) zeek.origPkts = counts.orig_pkts;
  if (counts.resp_pkts !== null) zeek.respPkts = counts.resp_pkts;

  return {
    tsMs,
    srcIp,
    dstIp,
    srcPort,
    dstPort,
    protocol,
    bytes: sumPresent(counts.orig_bytes, counts.resp_bytes),
    packets: sumPresent(counts.orig_pkts, counts.resp_pkts),
    origBytes: counts.orig_bytes,
    durationSec: counts.duration,
    zeek,
  };
}

function flowFields(record: Json): Fields | Invalid {
  const srcField = firstPresent(record, FLOW_SRC_IP);
  if (srcField === undefined) return fail('missing_field', 'src_ip', `src_ip is required (or one of ${FLOW_SRC_IP.slice(1).join(', ')})`);
  const dstField = firstPresent(record, FLOW_DST_IP);
  if (dstField === undefined) return fail('missing_field', 'dst_ip', `dst_ip is required (or one of ${FLOW_DST_IP.slice(1).join(', ')})`);
  const tsField = firstPresent(record, FLOW_TS);
  if (tsField === undefined) return fail('missing_field', 'ts', `ts is required (or one of ${FLOW_TS.slice(1).join(', ')})`);

  const srcIp = ipValue(record[srcField], srcField);
  if (srcIp instanceof Invalid) return srcIp;
  const dstIp = ipValue(record[dstField], dstField);
  if (dstIp instanceof Invalid) return dstIp;
  const tsMs = timestampValue(record[tsField], tsField);
  if (tsMs instanceof Invalid) return tsMs;

  const srcPortField = firstPresent(record, FLOW_SRC_PORT);
  const srcPort = srcPortField === undefined ? null : portValue(record[srcPortField], srcPortField);
  if (srcPort instanceof Invalid) return srcPort;
  const dstPortField = firstPresent(record, FLOW_DST_PORT);
  const dstPort = dstPortField === undefined ? null : portValue(record[dstPortField], dstPortField);
  if (dstPort instanceof Invalid) return dstPort;
  const protocolField = firstPresent(record, FLOW_PROTOCOL);
  const protocol = protocolField === undefined ? null : protocolValue(record[protocolField], protocolField);
  if (protocol instanceof Invalid) return protocol;

  const origBytes = numberValue(record.orig_bytes, 'orig_bytes');
  if (origBytes instanceof Invalid) return origBytes;
  const respBytes = numberValue(record.resp_bytes, 'resp_bytes');
  if (respBytes instanceof Invalid) return respBytes;
  const bytesField = firstPresent(record, FLOW_BYTES);
  // As the original scorer did: `bytes`, else orig_bytes + resp_bytes when a producer splits them.
  const bytes = bytesField === undefined ? sumPresent(origBytes, respBytes) : numberValue(record[bytesField], bytesField);
  if (bytes instanceof Invalid) return bytes;
  const packetsField = firstPresent(record, FLOW_PACKETS);
  const packets = packetsField === undefined ? null : numberValue(record[packetsField], packetsField);
  if (packets instanceof Invalid) return packets;
  let durationSec = numberValue(record.duration, 'duration');
  if (durationSec instanceof Invalid) return durationSec;
  if (durationSec === null && !RECEIVE_TIME_FIELDS.has(tsField)) durationSec = durationFromEnd(record, tsMs);

  const fields: Fields = { tsMs, srcIp, dstIp, srcPort, dstPort, protocol, bytes, packets, origBytes, durationSec };
  const exporter = exporterFields(record);
  if (exporter !== undefined) fields.exporter = exporter;

  const rateField = firstPresent(record, EXPORTER.samplingRate);
  const rate = rateField === undefined ? null : numberValue(record[rateField], rateField);
  if (rate instanceof Invalid) return rate;
  // 0 is "not reported" (goflow2 writes 0 for unsampled NetFlow); 1 in 1 changes nothing but is kept.
  if (rate !== null && rate > 0) {
    fields.sampling = { rate, bytes, packets };
    if (bytes !== null) fields.bytes = bytes * rate;
    if (packets !== null) fields.packets = packets * rate;
    if (origBytes !== null) fields.origBytes = origBytes * rate;
  }
  return fields;
}

const EXPORTER = FLOW_EXPORTER_FIELD_SPELLINGS;
/** Start-time spellings that are in fact the collector's receive time: no flow end pairs with them. */
const RECEIVE_TIME_FIELDS: ReadonlySet<string> = new Set(['TimeReceived', 'TimeReceivedNs', 'time_received_ns']);

/** Seconds from the start to the exported end (goflow2 `time_flow_end_ns`, IPFIX `flowEnd*`), when both read. */
function durationFromEnd(record: Json, startMs: number): number | null {
  const field = firstPresent(record, EXPORTER.end);
  if (field === undefined) return null;
  const endMs = timestampValue(record[field], field);
  if (endMs instanceof Invalid || endMs < startMs) return null;
  return (endMs - startMs) / 1000;
}

/** An unsigned integer within `max`, or undefined: these fields are informative, never a reason to refuse a flow. */
function optionalUint(record: Json, names: readonly string[], max: number): number | undefined {
  const field = firstPresent(record, names);
  if (field === undefined) return undefined;
  const value = record[field];
  const n = typeof value === 'number' ? value : typeof value === 'string' && DIGITS.test(value.trim()) ? Number(value) : NaN;
  return Number.isSafeInteger(n) && n >= 0 && n <= max ? n : undefined;
}

function optionalIp(record: Json, names: readonly string[]): string | undefined {
  const field = firstPresent(record, names);
  if (field === undefined) return undefined;
  return canonicalIp(record[field]) ?? undefined;
}

function exporterFields(record: Json): NonNullable<NormalizedFlow['exporter']> | undefined {
  const out: { -readonly [K in keyof NonNullable<NormalizedFlow['exporter']>]: NonNullable<NormalizedFlow['exporter']>[K] } = {};
  const address = optionalIp(record, EXPORTER.exporter);
  if (address !== undefined) out.address = address;
  const inIf = optionalUint(record, EXPORTER.inIf, 0xffffffff);
  if (inIf !== undefined) out.inIf = inIf;
  const outIf = optionalUint(record, EXPORTER.outIf, 0xffffffff);
  if (outIf !== undefined) out.outIf = outIf;
  const srcAs = optionalUint(record, EXPORTER.srcAs, 0xffffffff);
  if (srcAs !== undefined) out.srcAs = srcAs;
  const dstAs = optionalUint(record, EXPORTER.dstAs, 0xffffffff);
  if (dstAs !== undefined) out.dstAs = dstAs;
  const nextHop = optionalIp(record, EXPORTER.nextHop);
  if (nextHop !== undefined) out.nextHop = nextHop;
  const tcpFlags = optionalUint(record, EXPORTER.tcpFlags, 0xffff);
  if (tcpFlags !== undefined) out.tcpFlags = tcpFlags;
  const tos = optionalUint(record, EXPORTER.tos, 0xff);
  if (tos !== undefined) out.tos = tos;
  return Object.keys(out).length === 0 ? undefined : out;
}

/**
 * Dates the flow by the receive time when the exporter's clock is off by more than the bound (a
 * router with a wrong clock, a replayed capture), so a flow can never claim a time far from when it
 * arrived (and a daily index far from today). The flow's end is compared, as exporters send a flow
 * after it ends; a long flow's start is legitimately far in the past.
 */
function clockOf(
  tsMs: number,
  durationSec: number | null,
  receivedAt: string,
  maxSkewSec: number,
  keepsPastTimes: boolean,
): { tsMs: number; clock?: NormalizedFlow['clock'] } {
  const receivedMs = Date.parse(receivedAt);
  if (!Number.isFinite(receivedMs)) return { tsMs };
  const endMs = tsMs + (durationSec ?? 0) * 1000;
  const skewSec = Math.round(endMs - receivedMs) / 1000;
  // No flow ends after it was received: ahead is always a wrong clock. Behind is one on a live feed,
  // and the past itself in an upload.
  const stands = skewSec > 0 ? skewSec <= maxSkewSec : keepsPastTimes || -skewSec <= maxSkewSec;
  if (stands) return { tsMs, clock: { source: 'exporter', skewSec, exportedTsMs: tsMs } };
  return { tsMs: receivedMs, clock: { source: 'received', skewSec, exportedTsMs: tsMs } };
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Maps one ingress record to the NormalizedFlow every later stage reads, or says precisely what is
 * wrong with it (code and field as the producer spelled it), for the dead-letter headers.
 *
 * Addresses come out canonical (`::ffff:8.8.8.8` → `8.8.8.8`, IPv6 lowercase and compressed);
 * `original` is the record as sent, untouched. A zero is a value everywhere, never "missing".
 */
/**
 * What the edge checks before accepting a record: exactly the checks `normalize` makes, without
 * building the flow. Null when the record is valid.
 */
export function checkRecord(format: IngressFormat, record: unknown): NormalizeError | null {
  if (!isObject(record)) return { code: 'invalid_record', field: '', message: 'a record must be a JSON object' };
  const fields = format === 'zeek.conn' ? zeekFields(record) : flowFields(record);
  return fields instanceof Invalid ? fields.error : null;
}

export function normalize(format: IngressFormat, record: Record<string, unknown>, ctx: IngressContext): NormalizeResult {
  if (!isObject(record)) {
    return { ok: false, error: { code: 'invalid_record', field: '', message: 'a record must be a JSON object' } };
  }
  const fields = format === 'zeek.conn' ? zeekFields(record) : flowFields(record);
  if (fields instanceof Invalid) return { ok: false, error: fields.error };
  const { tsMs, clock } = clockOf(
    fields.tsMs,
    fields.durationSec,
    ctx.receivedAt,
    ctx.maxClockSkewSec ?? DEFAULT_MAX_CLOCK_SKEW_S,
    ctx.keepsPastTimes === true,
  );
  const flow: NormalizedFlow = {
    schemaVersion: NORMALIZED_FLOW_SCHEMA_VERSION,
    eventId: eventIdFor(ctx.topic, ctx.partition, ctx.offset, Date.parse(ctx.receivedAt), ctx.index),
    tenantId: ctx.tenantId,
    collectorId: ctx.collectorId,
    format,
    tsMs,
    srcIp: fields.srcIp,
    dstIp: fields.dstIp,
    srcPort: fields.srcPort,
    dstPort: fields.dstPort,
    protocol: fields.protocol,
    bytes: fields.bytes,
    packets: fields.packets,
    origBytes: fields.origBytes,
    durationSec: fields.durationSec,
    ...(fields.zeek !== undefined ? { zeek: fields.zeek } : {}),
    ...(fields.exporter !== undefined ? { exporter: fields.exporter } : {}),
    ...(fields.sampling !== undefined ? { sampling: fields.sampling } : {}),
    ...(clock !== undefined ? { clock } : {}),
    original: record,
    ingress: {
      topic: ctx.topic,
      partition: ctx.partition,
      offset: ctx.offset,
      ...(ctx.index !== undefined ? { index: ctx.index } : {}),
      receivedAt: ctx.receivedAt,
      ...(ctx.envelope !== undefined ? { envelope: ctx.envelope } : {}),
    },
  };
  return { ok: true, flow };
}
