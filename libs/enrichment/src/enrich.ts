import { ENRICHED_FLOW_SCHEMA_VERSION, type EnrichedFlow, type NormalizedFlow } from '@telemetry/contracts';
import type { GeoLookup } from './geo-lookup.port';
import { policyLabel, type RiskPolicy } from './risk-policy';
import type { ThreatIntelMatcher } from './threat-intel';

export interface EnrichDependencies {
  readonly geo: GeoLookup;
  readonly threatIntel: ThreatIntelMatcher;
  /** The deployment's policy (RISK_POLICY). */
  readonly policy: RiskPolicy;
  /** The policy a tenant chose, when tenants may choose (the control plane); absent: `policy` for every flow. */
  readonly policyOf?: (tenantId: string) => RiskPolicy;
}

/** Zeek's own field names, as the enriched output (snake_case, like the original product) carries them. */
function zeekSection(zeek: NonNullable<NormalizedFlow['zeek']>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (zeek.uid !== undefined) out.uid = zeek.uid;
  if (zeek.service !== undefined) out.service = zeek.service;
  if (zeek.connState !== undefined) out.conn_state = zeek.connState;
  if (zeek.history !== undefined) out.history = zeek.history;
  if (zeek.origBytes !== undefined) out.orig_bytes = zeek.origBytes;
  if (zeek.respBytes !== undefined) out.resp_bytes = zeek.respBytes;
  if (zeek.origPkts !== undefined) out.orig_pkts = zeek.origPkts;
  if (zeek.respPkts !== undefined) out.resp_pkts = zeek.respPkts;
  return out;
}

/**
 * The enricher's pure core: GeoIP and ASN for both ends, threat-intel matches, and the policy's
 * explainable risk score, as the `telemetry.enriched.v1` record. `now` is a parameter so the
 * output is a function of its inputs (replays and tests are deterministic).
 */
/** `now` as RFC 3339, formatted once per distinct instant: a batch enriches thousands of flows at one `now`. */
let lastNowMs = Number.NaN;
let lastNowText = '';
function instantText(now: Date): string {
  const ms = now.getTime();
  if (ms !== lastNowMs) {
    lastNowText = now.toISOString();
    lastNowMs = ms;
  }
  return lastNowText;
}

export function enrich(flow: NormalizedFlow, deps: EnrichDependencies, now: Date): EnrichedFlow {
  const matches = deps.threatIntel.match(flow, now.getTime());
  const policy = deps.policyOf ? deps.policyOf(flow.tenantId) : deps.policy;
  const risk = policy.evaluate({ flow, threatMatches: matches });
  const enriched: EnrichedFlow = {
    schema_version: ENRICHED_FLOW_SCHEMA_VERSION,
    event_id: flow.eventId,
    tenant_id: flow.tenantId,
    collector_id: flow.collectorId,
    format: flow.format,
    ts: flow.tsMs / 1000,
    timestamp: new Date(flow.tsMs).toISOString(),
    src_ip: flow.srcIp,
    src_port: flow.srcPort,
    dst_ip: flow.dstIp,
    dst_port: flow.dstPort,
    proto: flow.protocol,
    bytes: flow.bytes,
    packets: flow.packets,
    duration: flow.durationSec,
    geo: { src: deps.geo.city(flow.srcIp), dst: deps.geo.city(flow.dstIp) },
    asn: { src: deps.geo.asn(flow.srcIp), dst: deps.geo.asn(flow.dstIp) },
    ti: { matches },
    risk_score: risk.score,
    risk_reasons: risk.reasons,
    risk_policy: policyLabel(policy),
    original: { ...flow.original },
    ingest: {
      topic: flow.ingress.topic,
      partition: flow.ingress.partition,
      offset: flow.ingress.offset,
      received_at: flow.ingress.receivedAt,
    },
    enriched_at: instantText(now),
  };
  if (flow.zeek !== undefined) enriched.zeek = zeekSection(flow.zeek);
  const exporter = flow.exporter;
  if (exporter !== undefined) {
    if (exporter.address !== undefined) enriched.exporter = exporter.address;
    if (exporter.inIf !== undefined) enriched.in_if = exporter.inIf;
    if (exporter.outIf !== undefined) enriched.out_if = exporter.outIf;
    if (exporter.srcAs !== undefined) enriched.src_as = exporter.srcAs;
    if (exporter.dstAs !== undefined) enriched.dst_as = exporter.dstAs;
    if (exporter.nextHop !== undefined) enriched.next_hop = exporter.nextHop;
    if (exporter.tcpFlags !== undefined) enriched.tcp_flags = exporter.tcpFlags;
    if (exporter.tos !== undefined) enriched.tos = exporter.tos;
  }
  if (flow.sampling !== undefined) {
    enriched.sampling_rate = flow.sampling.rate;
    enriched.sampled_bytes = flow.sampling.bytes;
    enriched.sampled_packets = flow.sampling.packets;
  }
  if (flow.clock !== undefined) {
    enriched.ts_source = flow.clock.source;
    enriched.clock_skew_s = flow.clock.skewSec;
    if (flow.clock.source === 'received') enriched.exported_ts = flow.clock.exportedTsMs / 1000;
  }
  if (flow.ingress.index !== undefined) enriched.ingest.index = flow.ingress.index;
  if (flow.ingress.envelope !== undefined) enriched.ingest.envelope = flow.ingress.envelope;
  return enriched;
}
