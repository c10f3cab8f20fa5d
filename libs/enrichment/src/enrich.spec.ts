import { ENRICHED_FLOW_SCHEMA, type EnrichedFlow } from '@telemetry/contracts';
import Ajv from 'ajv';
import { NullGeoLookup } from './combined.geo-lookup';
import { enrich, type EnrichDependencies } from './enrich';
import { InMemoryGeoLookup } from './in-memory.geo-lookup';
import { normalize } from './normalize';
import { ORIGINAL_LIVE_POLICY } from './risk-policy';
import { anIndicator, anIngressContext, aFlowRecord, aZeekConn } from './testing/flow-builders';
import { ThreatIntelIndex } from './threat-intel';

const NOW = new Date('2023-11-14T22:15:00.000Z');

const geo = new InMemoryGeoLookup([
  {
    network: '45.155.205.0/24',
    city: { country: 'NL', city: 'Amsterdam', latitude: 52.37, longitude: 4.9, timezone: 'Europe/Amsterdam' },
    asn: { number: 49870, organization: 'Alsycon B.V.' },
  },
  { network: '8.8.8.0/24', city: { country: 'US', city: null, latitude: 37.75, longitude: -97.82, timezone: null } },
  { network: '8.8.8.8', asn: { number: 15169, organization: 'GOOGLE' } },
  { network: '10.0.0.0/8', city: { country: 'ZZ', city: 'Nowhere', latitude: 0, longitude: 0, timezone: null } }, // private: never answered
]);

const deps: EnrichDependencies = {
  geo,
  threatIntel: new ThreatIntelIndex([anIndicator({ indicator: '45.155.205.0/24', category: 'C2', confidence: 85, source: 'threats.csv' })]),
  policy: ORIGINAL_LIVE_POLICY,
};

function enrichRecord(format: 'zeek.conn' | 'flows.v1', record: Record<string, unknown>, dependencies = deps): EnrichedFlow {
  const result = normalize(format, record, anIngressContext());
  if (!result.ok) throw new Error(JSON.stringify(result.error));
  return enrich(result.flow, dependencies, NOW);
}

describe('enrich', () => {
  it('builds the enriched.v1 record for a Zeek conn end to end', () => {
    const record = aZeekConn({ dstIp: '45.155.205.233', dstPort: 3389, srcPort: 51234, origBytes: 2_000_000 });
    const flow = enrichRecord('zeek.conn', record);
    expect(flow).toEqual({
      schema_version: 1,
      event_id: expect.stringMatching(/^[0-9a-f]{32}$/),
      tenant_id: 'acme',
      collector_id: 'edge-1',
      format: 'zeek.conn',
      ts: 1700000000.123456,
      timestamp: '2023-11-14T22:13:20.123Z',
      src_ip: '10.0.0.5',
      src_port: 51234,
      dst_ip: '45.155.205.233',
      dst_port: 3389,
      proto: 'tcp',
      bytes: 2_005_400,
      packets: 22,
      duration: 1.25,
      ts_source: 'exporter',
      clock_skew_s: -3.627,
      zeek: {
        uid: 'CHhAvVGS1DHFjwGM9',
        service: 'ssl',
        conn_state: 'SF',
        history: 'ShADadFf',
        orig_bytes: 2_000_000,
        resp_bytes: 5400,
        orig_pkts: 10,
        resp_pkts: 12,
      },
      geo: {
        src: null,
        dst: { country: 'NL', city: 'Amsterdam', latitude: 52.37, longitude: 4.9, timezone: 'Europe/Amsterdam' },
      },
      asn: { src: null, dst: { number: 49870, organization: 'Alsycon B.V.' } },
      ti: {
        matches: [{ indicator: '45.155.205.0/24', category: 'C2', confidence: 85, source: 'threats.csv', field: 'dst_ip', ip: '45.155.205.233' }],
      },
      risk_score: 90,
      risk_reasons: [
        { code: 'base', points: 10, detail: 'base score' },
        { code: 'threat_intel_match', points: 60, detail: expect.stringContaining('45.155.205.0/24') },
        { code: 'sensitive_port', points: 10, detail: 'destination port 3389' },
        { code: 'large_upload_from_ephemeral_port', points: 10, detail: expect.stringContaining('51234') },
      ],
      risk_policy: 'original-live@1',
      original: record,
      ingest: { topic: 'telemetry.ingest.zeek-conn.v1', partition: 3, offset: '42', received_at: '2023-11-14T22:13:25.000Z' },
      enriched_at: '2023-11-14T22:15:00.000Z',
    });
  });

  it('looks up both ends and takes the most specific answer', () => {
    const flow = enrichRecord('flows.v1', aFlowRecord({ srcIp: '8.8.8.8', dstIp: '45.155.205.1' }));
    expect(flow.geo.src).toEqual({ country: 'US', city: null, latitude: 37.75, longitude: -97.82, timezone: null });
    expect(flow.asn.src).toEqual({ number: 15169, organization: 'GOOGLE' });
    expect(flow.asn.dst?.number).toBe(49870);
    expect(flow.ti.matches.map((m) => m.field)).toEqual(['dst_ip']);
    expect(flow).not.toHaveProperty('zeek');
  });

  it('validates against the enriched.v1 JSON schema', () => {
    const validate = new Ajv({ strict: false }).compile(ENRICHED_FLOW_SCHEMA);
    for (const flow of [
      enrichRecord('zeek.conn', aZeekConn({ dstIp: '45.155.205.233' })),
      enrichRecord('flows.v1', aFlowRecord({ ts: 0, srcPort: null, dstPort: null, protocol: null, bytes: null, packets: null })),
      enrichRecord('flows.v1', aFlowRecord(), { ...deps, geo: new NullGeoLookup() }),
    ]) {
      expect(validate(flow) ? [] : validate.errors).toEqual([]);
    }
  });

  it('is a function of its inputs: same flow, same deps, same now → same output', () => {
    const record = aFlowRecord({ dstIp: '45.155.205.7' });
    expect(enrichRecord('flows.v1', record)).toEqual(enrichRecord('flows.v1', record));
  });

  it('keeps the original record as sent, without aliasing it', () => {
    const record = aFlowRecord({ extra: { device: 'edge-router', vlan: 0 } });
    const flow = enrichRecord('flows.v1', record);
    expect(flow.original).toEqual(record);
    expect(flow.original).not.toBe(record);
  });

  it('scores with whichever policy it is given and labels it', () => {
    const policy = { name: 'flat', version: 7, evaluate: () => ({ score: 42, reasons: [{ code: 'flat', points: 42, detail: 'always 42' }] }) };
    const flow = enrichRecord('flows.v1', aFlowRecord(), { ...deps, policy });
    expect([flow.risk_score, flow.risk_policy]).toEqual([42, 'flat@7']);
  });

  it('writes epoch-seconds ts and an RFC 3339 timestamp from a ms input', () => {
    const flow = enrichRecord('flows.v1', aFlowRecord({ ts: 1700000000123 }));
    expect([flow.ts, flow.timestamp]).toEqual([1700000000.123, '2023-11-14T22:13:20.123Z']);
  });
});
