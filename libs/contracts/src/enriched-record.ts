import type { EnrichedFlow } from './enriched-flow';
import { HEADERS } from './headers';
import { FRAME_HEADERS_ENRICHED_INDEX, FramedMessage, frameRecords } from './record-frames';

/**
 * Headers every `telemetry.enriched.v1` record carries besides tenant-id, collector-id,
 * schema-version and traceparent: the flow's key fields, equal to the same fields of its value, so a
 * consumer can index, route or filter a record without parsing its JSON (the SQL projection does:
 * JSON.parse of a ~1.3 KB enriched flow was over half its CPU per row; `kcat -f '%h'` shows them).
 * Records written before they existed have none of them: readers fall back to the value.
 */
export const ENRICHED_HEADERS = {
  eventId: 'event-id',
  /** The flow's `ts` in epoch milliseconds, an integer. */
  tsMs: 'ts-ms',
  srcIp: 'src-ip',
  dstIp: 'dst-ip',
  /** 0-100, an integer. */
  riskScore: 'risk-score',
  /** RFC 3339, as `ingest.received_at` of the value (the same header name as on ingress records). */
  receivedAt: HEADERS.receivedAt,
  /**
   * On a frame of enriched flows (record-frames.ts) instead of the six above: a JSON array with one
   * entry per line, `[event_id, ts_ms, src_ip, dst_ip, risk_score, received_at]`.
   */
  flowIndex: FRAME_HEADERS_ENRICHED_INDEX,
} as const;

/** One entry of the `flow-index` header of an enriched frame. */
export type FlowIndexEntry = [eventId: string, tsMs: number, srcIp: string, dstIp: string, riskScore: number, receivedAt: string];

export function flowIndexEntry(flow: EnrichedFlow): FlowIndexEntry {
  return [flow.event_id, Math.round(flow.ts * 1000), flow.src_ip, flow.dst_ip, flow.risk_score, flow.ingest.received_at];
}

export function enrichedRecordHeaders(flow: EnrichedFlow): Record<string, string> {
  return {
    [ENRICHED_HEADERS.eventId]: flow.event_id,
    [ENRICHED_HEADERS.tsMs]: String(Math.round(flow.ts * 1000)),
    [ENRICHED_HEADERS.srcIp]: flow.src_ip,
    [ENRICHED_HEADERS.dstIp]: flow.dst_ip,
    [ENRICHED_HEADERS.riskScore]: String(flow.risk_score),
    [ENRICHED_HEADERS.receivedAt]: flow.ingest.received_at,
  };
}

/** The key fields of an enriched record, as a read model indexes them. */
export interface EnrichedKeyFields {
  readonly eventId: string;
  readonly tenantId: string;
  readonly tsMs: number;
  readonly srcIp: string;
  readonly dstIp: string;
  readonly riskScore: number;
  /** NaN when the record has no usable receive time. */
  readonly receivedAtMs: number;
}

const INTEGER = /^-?\d{1,16}$/;

/** The key fields from the headers, or undefined when any is missing or malformed (then read the value). */
export function enrichedKeyFieldsFromHeaders(headers: Readonly<Record<string, string>>): EnrichedKeyFields | undefined {
  const eventId = headers[ENRICHED_HEADERS.eventId];
  const tenantId = headers[HEADERS.tenantId];
  const tsMs = headers[ENRICHED_HEADERS.tsMs];
  const srcIp = headers[ENRICHED_HEADERS.srcIp];
  const dstIp = headers[ENRICHED_HEADERS.dstIp];
  const riskScore = headers[ENRICHED_HEADERS.riskScore];
  const receivedAt = headers[ENRICHED_HEADERS.receivedAt];
  if (!eventId || !tenantId || srcIp === undefined || dstIp === undefined || receivedAt === undefined) return undefined;
  if (tsMs === undefined || !INTEGER.test(tsMs) || riskScore === undefined || !INTEGER.test(riskScore)) return undefined;
  return { eventId, tenantId, tsMs: Number(tsMs), srcIp, dstIp, riskScore: Number(riskScore), receivedAtMs: Date.parse(receivedAt) };
}

/** The same fields from a parsed enriched value (records without the headers), or undefined when it has no event and tenant id. */
export function enrichedKeyFieldsFromValue(value: unknown): EnrichedKeyFields | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const flow = value as Partial<Record<keyof EnrichedFlow, unknown>> & { ingest?: { received_at?: unknown } };
  if (typeof flow.event_id !== 'string' || typeof flow.tenant_id !== 'string') return undefined;
  const receivedAt = flow.ingest?.received_at;
  return {
    eventId: flow.event_id,
    tenantId: flow.tenant_id,
    tsMs: Math.round(Number(flow.ts ?? 0) * 1000),
    srcIp: String(flow.src_ip ?? ''),
    dstIp: String(flow.dst_ip ?? ''),
    riskScore: Number.isInteger(flow.risk_score) ? (flow.risk_score as number) : 0,
    receivedAtMs: typeof receivedAt === 'string' ? Date.parse(receivedAt) : NaN,
  };
}

/**
 * The enriched flows of consumed messages, one record per flow, in order: frameRecords, with each
 * flow's key fields as headers from the frame's `flow-index` (when it is well formed), so a reader
 * written for one flow per message (headers or value) reads both.
 */
export function enrichedFlowRecords<R extends FramedMessage>(messages: readonly R[]): R[] {
  return frameRecords(messages, (message, lines) => {
    const index = flowIndexOf(message.headers, lines);
    if (index === undefined) return undefined;
    return (position, headers) => {
      const entry = index[position];
      headers[ENRICHED_HEADERS.eventId] = entry[0];
      headers[ENRICHED_HEADERS.tsMs] = String(entry[1]);
      headers[ENRICHED_HEADERS.srcIp] = entry[2];
      headers[ENRICHED_HEADERS.dstIp] = entry[3];
      headers[ENRICHED_HEADERS.riskScore] = String(entry[4]);
      headers[ENRICHED_HEADERS.receivedAt] = entry[5];
    };
  });
}

/** The frame's flow index when it is well formed and has one entry per line, else undefined (readers then parse the values). */
function flowIndexOf(headers: Readonly<Record<string, string>>, lines: number): FlowIndexEntry[] | undefined {
  const raw = headers[ENRICHED_HEADERS.flowIndex];
  if (raw === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed) || parsed.length !== lines) return undefined;
  for (const entry of parsed) {
    if (
      !Array.isArray(entry) ||
      entry.length !== 6 ||
      typeof entry[0] !== 'string' ||
      !Number.isSafeInteger(entry[1]) ||
      typeof entry[2] !== 'string' ||
      typeof entry[3] !== 'string' ||
      !Number.isInteger(entry[4]) ||
      typeof entry[5] !== 'string'
    ) {
      return undefined;
    }
  }
  return parsed as FlowIndexEntry[];
}
