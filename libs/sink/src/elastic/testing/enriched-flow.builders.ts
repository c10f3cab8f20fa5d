/**
 * Builders for the Elasticsearch exporter's specs: realistic telemetry.enriched.v1 flows (as the
 * enricher writes them) and the SinkItems the runner makes of them, overridden per test.
 */
import { ENRICHED_FLOW_SCHEMA_VERSION, TOPICS, type EnrichedFlow } from '@telemetry/contracts';
import type { SinkItem } from '../../exporter.port';

/** 2024-11-22T15:20:00.250Z, a Friday afternoon. */
export const BASE_TS = 1732288800.25;

/** The n-th flow of a capture: a workstation talking to a handful of outside services. */
export function anEnrichedFlow(n: number, overrides: Partial<EnrichedFlow> = {}): EnrichedFlow {
  const ts = overrides.ts ?? BASE_TS + n * 7.5;
  const dstPort = [443, 53, 3389, 22, 8080][n % 5];
  const suspicious = dstPort === 3389;
  const flow: EnrichedFlow = {
    schema_version: ENRICHED_FLOW_SCHEMA_VERSION,
    event_id: `0193532f-6c1a-7b3e-9a4d-${String(n).padStart(12, '0')}`,
    tenant_id: 'acme',
    collector_id: 'zeek-edge-01',
    format: 'zeek.conn',
    ts,
    timestamp: new Date(ts * 1000).toISOString(),
    src_ip: `10.20.${n % 4}.${10 + (n % 200)}`,
    src_port: 49152 + ((n * 37) % 16000),
    dst_ip: suspicious ? '185.220.101.45' : `93.184.216.${n % 250}`,
    dst_port: dstPort,
    proto: dstPort === 53 ? 'udp' : 'tcp',
    bytes: 1200 + n * 311,
    packets: 10 + (n % 40),
    duration: Math.round((0.05 + (n % 13) * 0.731) * 1000) / 1000,
    zeek: {
      uid: `CHhAvVGS1DHFjwGM${n}`,
      service: dstPort === 443 ? 'ssl' : dstPort === 53 ? 'dns' : null,
      conn_state: 'SF',
      history: 'ShADadFf',
      orig_bytes: 600 + n,
      resp_bytes: 540 + n * 3,
    },
    geo: {
      src: null,
      dst: suspicious
        ? { country: 'DE', city: 'Frankfurt am Main', latitude: 50.1109, longitude: 8.6821, timezone: 'Europe/Berlin' }
        : { country: 'US', city: 'Norwell', latitude: 42.1508, longitude: -70.8228, timezone: 'America/New_York' },
    },
    asn: { src: null, dst: suspicious ? { number: 205100, organization: 'F3 Netze e.V.' } : { number: 15133, organization: 'Edgecast Inc.' } },
    ti: {
      matches: suspicious
        ? [{ indicator: '185.220.101.0/24', category: 'tor_exit', confidence: 85, source: 'tor-exits.txt', field: 'dst_ip', ip: '185.220.101.45' }]
        : [],
    },
    risk_score: suspicious ? 75 : 10,
    risk_reasons: suspicious
      ? [
          { code: 'base', points: 10, detail: 'every flow' },
          { code: 'threat_intel_match', points: 50, detail: 'dst_ip 185.220.101.45 in 185.220.101.0/24 (tor_exit, 85)' },
          { code: 'sensitive_port', points: 15, detail: 'dst_port 3389 (rdp)' },
        ]
      : [{ code: 'base', points: 10, detail: 'every flow' }],
    risk_policy: 'default@1',
    original: { ts, uid: `CHhAvVGS1DHFjwGM${n}`, 'id.orig_h': `10.20.${n % 4}.${10 + (n % 200)}`, 'id.resp_p': dstPort, proto: 'tcp', conn_state: 'SF' },
    ingest: { topic: 'telemetry.ingress.zeek.v1', partition: n % 3, offset: String(1000 + n), received_at: new Date(ts * 1000 + 850).toISOString() },
    enriched_at: new Date(ts * 1000 + 1200).toISOString(),
    ...overrides,
  };
  return flow;
}

/** The SinkItem the runner makes of a flow read from telemetry.enriched.v1 (payload: the record value as is). */
export function aSinkItem(flow: EnrichedFlow | Record<string, unknown>, overrides: Partial<SinkItem> = {}): SinkItem {
  const record = flow as { event_id: string; tenant_id: string; ts: number };
  const payload = overrides.payload ?? JSON.stringify(flow);
  return {
    eventId: record.event_id,
    tenantId: record.tenant_id,
    payload,
    ts: record.ts,
    source: {
      topic: TOPICS.enriched,
      partition: 0,
      offset: '0',
      key: Buffer.from(record.event_id),
      value: Buffer.from(payload),
      headers: {},
      timestamp: record.ts * 1000,
    },
    ...overrides,
  };
}

/** `count` flows as SinkItems, numbered from `from`. */
export function someSinkItems(count: number, from = 0, overrides: Partial<EnrichedFlow> = {}): SinkItem[] {
  return Array.from({ length: count }, (_, i) => aSinkItem(anEnrichedFlow(from + i, overrides)));
}
