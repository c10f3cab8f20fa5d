import type { NormalizedFlow } from '@telemetry/contracts';
import { epochToMs, eventIdFor, normalize, parseRfc3339, type NormalizeError } from './normalize';
import { aFlowRecord, aGoflow2Record, anIngressContext, aZeekConn } from './testing/flow-builders';

const ctx = anIngressContext();

/** For the parsing tests: no clock bound, so the time read is the time kept. */
const unbounded = anIngressContext({ maxClockSkewSec: Number.MAX_SAFE_INTEGER });

function ok(format: 'zeek.conn' | 'flows.v1', record: Record<string, unknown>, context = ctx): NormalizedFlow {
  const result = normalize(format, record, context);
  if (!result.ok) throw new Error(`expected ok, got ${JSON.stringify(result.error)}`);
  return result.flow;
}

function err(format: 'zeek.conn' | 'flows.v1', record: Record<string, unknown>): NormalizeError {
  const result = normalize(format, record, ctx);
  if (result.ok) throw new Error(`expected an error, got ${JSON.stringify(result.flow)}`);
  return result.error;
}

describe('normalize zeek.conn', () => {
  it.each(['dotted', 'underscore', 'nested'] as const)('reads the %s endpoint spelling', (spelling) => {
    const record = aZeekConn({ spelling });
    const flow = ok('zeek.conn', record);
    expect(flow).toEqual({
      schemaVersion: 1,
      eventId: eventIdFor(ctx.topic, ctx.partition, ctx.offset, Date.parse(ctx.receivedAt)),
      tenantId: 'acme',
      collectorId: 'edge-1',
      format: 'zeek.conn',
      tsMs: 1700000000123.456,
      srcIp: '10.0.0.5',
      dstIp: '93.184.216.34',
      srcPort: 51234,
      dstPort: 443,
      protocol: 'tcp',
      bytes: 6600,
      packets: 22,
      origBytes: 1200,
      durationSec: 1.25,
      // Flow end 22:13:21.373456 by the exporter, received 22:13:25: 3.627 s, within the bound.
      clock: { source: 'exporter', skewSec: -3.627, exportedTsMs: 1700000000123.456 },
      zeek: {
        uid: 'CHhAvVGS1DHFjwGM9',
        service: 'ssl',
        connState: 'SF',
        history: 'ShADadFf',
        origBytes: 1200,
        respBytes: 5400,
        origPkts: 10,
        respPkts: 12,
      },
      original: record,
      ingress: { topic: ctx.topic, partition: 3, offset: '42', receivedAt: ctx.receivedAt },
    });
    expect(flow.original).toBe(record); // as sent, untouched
  });

  it.each([
    [{ origBytes: 0, respBytes: 0 }, 0, 0],
    [{ origBytes: 2_000_000, respBytes: null }, 2_000_000, 2_000_000],
    [{ origBytes: null, respBytes: 300 }, 300, null],
    [{ origBytes: null, respBytes: null }, null, null],
  ])('bytes = orig + resp when either is present: %j', (counts, bytes, origBytes) => {
    const flow = ok('zeek.conn', aZeekConn(counts));
    expect(flow.bytes).toBe(bytes);
    expect(flow.origBytes).toBe(origBytes);
  });

  it('keeps zeros as values: ports, packets, duration', () => {
    const flow = ok('zeek.conn', aZeekConn({ srcPort: 0, dstPort: 0, origPkts: 0, respPkts: 0, duration: 0, proto: 'icmp' }));
    expect(flow).toMatchObject({ srcPort: 0, dstPort: 0, packets: 0, durationSec: 0, protocol: 'icmp' });
  });

  it('leaves absent ports and counts null', () => {
    const flow = ok('zeek.conn', aZeekConn({ srcPort: null, dstPort: null, origPkts: null, respPkts: null, duration: null, proto: null }));
    expect(flow).toMatchObject({ srcPort: null, dstPort: null, packets: null, durationSec: null, protocol: null });
  });

  it("treats Zeek's `-` as unset", () => {
    const flow = ok('zeek.conn', aZeekConn({ service: '-', duration: '-', origBytes: '-', respBytes: '-' }));
    expect(flow).toMatchObject({ durationSec: null, bytes: null });
    expect(flow.zeek?.service).toBeUndefined();
  });

  it('canonicalizes addresses and keeps IPv6', () => {
    const flow = ok('zeek.conn', aZeekConn({ srcIp: '::ffff:10.0.0.5', dstIp: '2001:0DB8::0001' }));
    expect([flow.srcIp, flow.dstIp]).toEqual(['10.0.0.5', '2001:db8::1']);
  });

  it('accepts an RFC 3339 ts (Zeek with JSON::TS_ISO8601)', () => {
    expect(ok('zeek.conn', aZeekConn({ ts: '2023-11-14T22:13:20.123456Z' })).tsMs).toBeCloseTo(1700000000123.456, 3);
  });

  it.each<[Parameters<typeof aZeekConn>[0], NormalizeError['code'], string]>([
    [{ srcIp: null }, 'missing_field', 'id.orig_h'],
    [{ dstIp: null, spelling: 'underscore' }, 'missing_field', 'id.resp_h'],
    [{ ts: null }, 'missing_field', 'ts'],
    [{ srcIp: '10.0.0.256' }, 'invalid_ip', 'id.orig_h'],
    [{ srcIp: 'fe80::1%eth0', spelling: 'underscore' }, 'invalid_ip', 'id_orig_h'],
    [{ dstIp: 12345, spelling: 'nested' }, 'invalid_ip', 'id.resp_h'],
    [{ srcPort: 70000, spelling: 'underscore' }, 'invalid_port', 'id_orig_p'],
    [{ dstPort: -1 }, 'invalid_port', 'id.resp_p'],
    [{ dstPort: 80.5 }, 'invalid_port', 'id.resp_p'],
    [{ ts: 'yesterday' }, 'invalid_timestamp', 'ts'],
    [{ ts: -1 }, 'invalid_timestamp', 'ts'],
    [{ origBytes: -5 }, 'invalid_number', 'orig_bytes'],
    [{ respPkts: 'many' }, 'invalid_number', 'resp_pkts'],
    [{ duration: Number.NaN }, 'invalid_number', 'duration'],
  ])('%j → %s at %s', (options, code, field) => {
    const error = err('zeek.conn', aZeekConn(options));
    expect(error).toMatchObject({ code, field });
    expect(error.message).toContain(field);
  });
});

describe('normalize flows.v1', () => {
  it('reads the canonical fields', () => {
    const record = aFlowRecord();
    expect(ok('flows.v1', record)).toEqual({
      schemaVersion: 1,
      eventId: eventIdFor(ctx.topic, ctx.partition, ctx.offset, Date.parse(ctx.receivedAt)),
      tenantId: 'acme',
      collectorId: 'edge-1',
      format: 'flows.v1',
      tsMs: 1700000000000,
      srcIp: '192.168.1.20',
      dstIp: '8.8.8.8',
      srcPort: 53000,
      dstPort: 53,
      protocol: 'udp',
      bytes: 120,
      packets: 2,
      origBytes: null,
      durationSec: null,
      clock: { source: 'exporter', skewSec: -5, exportedTsMs: 1700000000000 },
      original: record,
      ingress: { topic: ctx.topic, partition: 3, offset: '42', receivedAt: ctx.receivedAt },
    });
  });

  const base = { ts: 1700000000 };
  it.each([
    [{ ...base, ipv4_src_addr: '1.1.1.1', ipv4_dst_addr: '8.8.8.8', l4_src_port: 1, l4_dst_port: 2, in_bytes: 3, in_pkts: 4 }],
    [
      {
        ...base,
        sourceIPv4Address: '1.1.1.1',
        destinationIPv4Address: '8.8.8.8',
        sourceTransportPort: 1,
        destinationTransportPort: 2,
        octetDeltaCount: 3,
        packetDeltaCount: 4,
      },
    ],
    [{ ...base, SrcAddr: '1.1.1.1', DstAddr: '8.8.8.8', SrcPort: 1, DstPort: 2, Bytes: 3, Packets: 4 }],
    [{ ...base, src_addr: '1.1.1.1', dst_addr: '8.8.8.8', src_port: 1, dst_port: 2, inOctets: 3, inPackets: 4 }],
  ])('accepts exporter spellings %j', (record) => {
    expect(ok('flows.v1', record)).toMatchObject({ srcIp: '1.1.1.1', dstIp: '8.8.8.8', srcPort: 1, dstPort: 2, bytes: 3, packets: 4 });
  });

  it.each([[{ sourceIPv6Address: '2001:db8::1', destinationIPv6Address: '2001:db8::2' }], [{ ipv6_src_addr: '2001:db8::1', ipv6_dst_addr: '2001:db8::2' }]])(
    'accepts IPv6 spellings %j',
    (fields) => {
      expect(ok('flows.v1', { ts: 1, ...fields })).toMatchObject({ srcIp: '2001:db8::1', dstIp: '2001:db8::2' });
    },
  );

  it('prefers the canonical spelling when several are present', () => {
    expect(ok('flows.v1', aFlowRecord({ extra: { SrcAddr: '9.9.9.9' } })).srcIp).toBe('192.168.1.20');
  });

  it.each([
    ['tcp', 'tcp'],
    ['TCP', 'tcp'],
    [6, 'tcp'],
    ['6', 'tcp'],
    [17, 'udp'],
    [1, 'icmp'],
    [58, 'icmpv6'],
    ['ipv6-icmp', 'icmpv6'],
    [132, 'sctp'],
    [47, 'gre'],
    [50, 'esp'],
    [0, '0'],
    [89, '89'],
    ['', null],
    // Names of Object.prototype's members are names like any other, not alias-table hits.
    ['constructor', 'constructor'],
    ['__proto__', '__proto__'],
    ['toString', 'tostring'],
  ])('protocol %j → %j', (protocol, expected) => {
    expect(ok('flows.v1', aFlowRecord({ protocol })).protocol).toBe(expected);
  });

  it.each([[{ proto: 6 }], [{ protocolIdentifier: 6 }], [{ Proto: 6 }]])('reads protocol from %j', (fields) => {
    expect(ok('flows.v1', aFlowRecord({ protocol: null, extra: fields })).protocol).toBe('tcp');
  });

  it('keeps zero as a value, never as "missing"', () => {
    const flow = ok('flows.v1', aFlowRecord({ ts: 0, srcPort: 0, dstPort: 0, bytes: 0, packets: 0, protocol: 0 }), unbounded);
    expect(flow).toMatchObject({ tsMs: 0, srcPort: 0, dstPort: 0, bytes: 0, packets: 0, protocol: '0' });
  });

  it('a zero in the first spelling wins over a later spelling', () => {
    const flow = ok('flows.v1', aFlowRecord({ bytes: 0, extra: { Bytes: 999 } }));
    expect(flow.bytes).toBe(0);
  });

  it('falls back to orig_bytes + resp_bytes without a bytes field, as the original scorer did', () => {
    const flow = ok('flows.v1', aFlowRecord({ bytes: null, extra: { orig_bytes: 2_000_000, resp_bytes: 10 } }));
    expect(flow).toMatchObject({ bytes: 2_000_010, origBytes: 2_000_000 });
  });

  it('accepts numeric strings for counters (protobuf JSON writes uint64 as strings)', () => {
    expect(ok('flows.v1', aFlowRecord({ bytes: '1500', packets: '3', srcPort: '443' }))).toMatchObject({ bytes: 1500, packets: 3, srcPort: 443 });
  });

  it('reads goflow2 v1 JSON', () => {
    const record = aGoflow2Record();
    expect(ok('flows.v1', record)).toMatchObject({
      tsMs: 1700000000000,
      srcIp: '198.51.100.7',
      dstIp: '203.0.113.9',
      srcPort: 49152,
      dstPort: 3389,
      protocol: 'tcp',
      bytes: 4200,
      packets: 7,
      original: record,
    });
  });

  it('reads goflow2 TimeFlowStartNs and falls back to TimeReceived', () => {
    // goflow2 writes nanoseconds as JSON numbers past 2^53: the record carries the rounded double, as a JSON parser yields it.
    // eslint-disable-next-line no-loss-of-precision
    const ns = aGoflow2Record({ TimeFlowStart: undefined, TimeFlowStartNs: 1700000000123456789 });
    delete ns.TimeFlowStart;
    expect(ok('flows.v1', ns).tsMs).toBeCloseTo(1700000000123.4568, 1);
    const received = aGoflow2Record();
    delete received.TimeFlowStart;
    expect(ok('flows.v1', received).tsMs).toBe(1700000005000);
  });

  it('reads goflow2 v2 JSON (snake_case, protocol by name)', () => {
    const record = {
      type: 'IPFIX',
      time_received_ns: 1700000005000000000,
      time_flow_start_ns: 1700000000000000000,
      bytes: 4200,
      packets: 7,
      src_addr: '198.51.100.7',
      dst_addr: '2001:db8::9',
      etype: 'IPv6',
      proto: 'TCP',
      src_port: 49152,
      dst_port: 22,
    };
    expect(ok('flows.v1', record)).toMatchObject({ tsMs: 1700000000000, srcIp: '198.51.100.7', dstIp: '2001:db8::9', protocol: 'tcp', dstPort: 22 });
  });

  describe('timestamps', () => {
    it.each([
      ['seconds', 1700000000, 1700000000000],
      ['fractional seconds', 1700000000.5, 1700000000500],
      ['milliseconds', 1700000000123, 1700000000123],
      ['microseconds', 1700000000123456, 1700000000123.456],
      ['nanoseconds', 1700000000123000000, 1700000000123],
      ['numeric string seconds', '1700000000', 1700000000000],
      ['numeric string ms', '1700000000123', 1700000000123],
      ['numeric string ns', '1700000000123000000', 1700000000123],
      ['RFC 3339 Z', '2023-11-14T22:13:20Z', 1700000000000],
      ['RFC 3339 fraction', '2023-11-14T22:13:20.123Z', 1700000000123],
      ['RFC 3339 offset', '2023-11-15T00:13:20+02:00', 1700000000000],
      ['RFC 3339 negative offset', '2023-11-14T17:13:20.5-05:00', 1700000000500],
      ['RFC 3339 lowercase, space separator', '2023-11-14 22:13:20z', 1700000000000],
      ['zero', 0, 0],
    ])('%s: %j → %d ms', (_label, ts, expected) => {
      expect(ok('flows.v1', aFlowRecord({ ts }), unbounded).tsMs).toBeCloseTo(expected, 3);
    });

    it.each([
      ['timestamp', { timestamp: 1700000000 }],
      ['time', { time: '2023-11-14T22:13:20Z' }],
      ['@timestamp', { '@timestamp': '2023-11-14T22:13:20Z' }],
      ['first_switched', { first_switched: 1700000000 }],
      ['flowStartMilliseconds', { flowStartMilliseconds: 1700000000000 }],
      ['flowStartSeconds', { flowStartSeconds: 1700000000 }],
      ['TimeFlowStart', { TimeFlowStart: 1700000000 }],
      ['TimeFlowStartNs', { TimeFlowStartNs: 1700000000000000000 }],
    ])('reads %s', (_label, fields) => {
      expect(ok('flows.v1', aFlowRecord({ ts: null, extra: fields })).tsMs).toBe(1700000000000);
    });

    it.each([
      ['2023-11-14T22:13:20'], // no offset: which zone?
      ['2023-11-14'],
      ['2023-02-30T00:00:00Z'], // not rolled over to March
      ['2023-13-01T00:00:00Z'],
      ['2023-11-14T24:00:00Z'],
      ['2023-11-14T22:13:20+25:00'],
      ['last tuesday'],
      [''],
      [-1],
      [Number.POSITIVE_INFINITY],
      [true],
      [{}],
      ['99999999999999999999999'], // beyond year 9999 after unit detection
    ])('rejects %j as invalid_timestamp', (ts) => {
      expect(err('flows.v1', aFlowRecord({ ts }))).toMatchObject({ code: 'invalid_timestamp', field: 'ts' });
    });

    it('names the timestamp field as spelled', () => {
      expect(err('flows.v1', aFlowRecord({ ts: null, extra: { TimeFlowStartNs: 'soon' } }))).toMatchObject({
        code: 'invalid_timestamp',
        field: 'TimeFlowStartNs',
      });
    });
  });

  it.each<[string, Record<string, unknown>, NormalizeError['code'], string]>([
    ['no source', aFlowRecord({ srcIp: null }), 'missing_field', 'src_ip'],
    ['no destination', aFlowRecord({ dstIp: null }), 'missing_field', 'dst_ip'],
    ['no timestamp', aFlowRecord({ ts: null }), 'missing_field', 'ts'],
    ['a three-part address', aFlowRecord({ srcIp: '1.2.3' }), 'invalid_ip', 'src_ip'],
    ['goflow2 base64 address bytes', aGoflow2Record({ DstAddr: 'AQIDBA==' }), 'invalid_ip', 'DstAddr'],
    ['port 65536', aFlowRecord({ dstPort: 65536 }), 'invalid_port', 'dst_port'],
    ['goflow2 port by name', aGoflow2Record({ SrcPort: 'http' }), 'invalid_port', 'SrcPort'],
    ['negative bytes', aFlowRecord({ bytes: -1 }), 'invalid_number', 'bytes'],
    ['goflow2 packets with text', aGoflow2Record({ Packets: '12 packets' }), 'invalid_number', 'Packets'],
    ['protocol 256', aFlowRecord({ protocol: 256 }), 'invalid_number', 'protocol'],
    ['protocol 6.5', aFlowRecord({ protocol: 6.5 }), 'invalid_number', 'protocol'],
  ])('%s → %s at %s', (_label, record, code, field) => {
    expect(err('flows.v1', record)).toMatchObject({ code, field });
  });

  it('refuses a record that is not an object', () => {
    expect(err('flows.v1', [] as unknown as Record<string, unknown>)).toMatchObject({ code: 'invalid_record' });
  });
});

describe('eventId', () => {
  it('is stable for the same coordinates (redelivery) and distinct otherwise', () => {
    const first = ok('flows.v1', aFlowRecord());
    const again = ok('flows.v1', aFlowRecord({ bytes: 999 }));
    expect(first.eventId).toMatch(/^[0-9a-f]{32}$/);
    expect(again.eventId).toBe(first.eventId);
    const ids = new Set([
      eventIdFor('t', 0, '1', 1_000),
      eventIdFor('t', 0, '2', 1_000),
      eventIdFor('t', 1, '1', 1_000),
      eventIdFor('u', 0, '1', 1_000),
      eventIdFor('t', 10, '1', 1_000),
      eventIdFor('t', 1, '01', 1_000),
    ]);
    expect(ids.size).toBe(6);
  });

  it('starts with the receive time in ms, so ids rise with ingest time', () => {
    const receivedAt = Date.parse('2026-12-02T00:00:00.000Z');
    const earlier = eventIdFor('t', 5, '900', receivedAt);
    const later = eventIdFor('t', 0, '1', receivedAt + 1);
    expect(earlier.slice(0, 12)).toBe(receivedAt.toString(16).padStart(12, '0'));
    expect(earlier < later).toBe(true);
    expect(eventIdFor('t', 0, '1', receivedAt)).toBe(eventIdFor('t', 0, '1', receivedAt));
  });

  it('puts 0 for a receive time that is not a usable epoch ms and stays unique by its hash', () => {
    const ids = [Number.NaN, -1, 2 ** 48, 1.5].map((ms, offset) => eventIdFor('t', 0, String(offset), ms));
    for (const id of ids) expect(id).toMatch(/^000000000000[0-9a-f]{20}$/);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('epochToMs thresholds', () => {
  it.each([
    [99_999_999_999, 99_999_999_999_000], // just below 1e11: seconds
    [100_000_000_000, 100_000_000_000], // 1e11: milliseconds
    [99_999_999_999_999, 99_999_999_999_999], // just below 1e14: milliseconds
    [100_000_000_000_000, 100_000_000_000], // 1e14: microseconds
    [100_000_000_000_000_000, 100_000_000_000], // 1e17: nanoseconds
  ])('%d → %d ms', (n, ms) => {
    expect(epochToMs(n)).toBe(ms);
  });
});

describe('parseRfc3339', () => {
  it('handles leap days and nanosecond fractions', () => {
    expect(parseRfc3339('2024-02-29T00:00:00Z')).toBe(Date.UTC(2024, 1, 29));
    expect(parseRfc3339('2023-02-29T00:00:00Z')).toBeNull();
    expect(parseRfc3339('2023-11-14T22:13:20.123456789Z')).toBeCloseTo(1700000000123.4568, 3);
  });
});

describe('normalize: what exporters add', () => {
  const near = anIngressContext({ receivedAt: '2023-11-14T22:13:25.000Z' });
  const flow = (record: Record<string, unknown>) => {
    const result = normalize('flows.v1', { ts: 1700000000, src_ip: '10.0.0.1', dst_ip: '8.8.8.8', bytes: 100, packets: 2, ...record }, near);
    if (!result.ok) throw new Error(JSON.stringify(result.error));
    return result.flow;
  };

  it.each([
    ['goflow2 2.x', { sampler_address: '192.0.2.1', in_if: 3, out_if: 1, src_as: 64512, dst_as: 15169, next_hop: '192.0.2.254', tcp_flags: 27, ip_tos: 8 }],
    ['goflow2 1.x', { SamplerAddress: '192.0.2.1', InIf: 3, OutIf: 1, SrcAS: 64512, DstAS: 15169, NextHop: '192.0.2.254', TCPFlags: 27, IPTos: 8 }],
    [
      'NetFlow v9',
      { input_snmp: 3, output_snmp: 1, src_as: 64512, dst_as: 15169, ipv4_next_hop: '192.0.2.254', tcp_flags: 27, src_tos: 8, exporter: '192.0.2.1' },
    ],
    [
      'IPFIX',
      {
        exporterIPv4Address: '192.0.2.1',
        ingressInterface: 3,
        egressInterface: 1,
        bgpSourceAsNumber: 64512,
        bgpDestinationAsNumber: '15169',
        ipNextHopIPv4Address: '192.0.2.254',
        tcpControlBits: 27,
        ipClassOfService: 8,
      },
    ],
  ])('reads the exporter, interfaces, AS numbers, next hop, TCP flags and ToS as %s spells them', (_, fields) => {
    expect(flow(fields).exporter).toEqual({
      address: '192.0.2.1',
      inIf: 3,
      outIf: 1,
      srcAs: 64512,
      dstAs: 15169,
      nextHop: '192.0.2.254',
      tcpFlags: 27,
      tos: 8,
    });
  });

  it('leaves out informative fields it cannot read, rather than refusing the flow', () => {
    expect(flow({ next_hop: '', in_if: -1, tcp_flags: 'SYN', sampler_address: '::ffff:192.0.2.1' }).exporter).toEqual({ address: '192.0.2.1' });
    expect(flow({}).exporter).toBeUndefined();
  });

  it('derives the duration from the exported end when there is no duration', () => {
    expect(flow({ ts: null, time_flow_start_ns: 1700000000000000000, time_flow_end_ns: 1700000004500000000 }).durationSec).toBe(4.5);
    expect(flow({ ts: null, TimeFlowStart: 1700000000, TimeFlowEnd: 1700000003 }).durationSec).toBe(3);
    expect(flow({ duration: 2, time_flow_end_ns: 1700000004500000000 }).durationSec).toBe(2);
    // An end before the start, or a start that is the receive time, gives no duration.
    expect(flow({ ts: null, time_flow_start_ns: 1700000004000000000, time_flow_end_ns: 1700000000000000000 }).durationSec).toBeNull();
    expect(flow({ ts: null, time_received_ns: 1700000004000000000, time_flow_end_ns: 1700000005000000000 }).durationSec).toBeNull();
  });

  it('multiplies bytes and packets by the sampling rate and keeps the exported counts', () => {
    expect(flow({ sampling_rate: 512 })).toMatchObject({ bytes: 51_200, packets: 1024, sampling: { rate: 512, bytes: 100, packets: 2 } });
    expect(flow({ SamplingRate: '10', orig_bytes: 7, bytes: null })).toMatchObject({ bytes: 70, origBytes: 70, sampling: { rate: 10, bytes: 7 } });
    // 0 is goflow2's "not sampled / unknown".
    expect(flow({ sampling_rate: 0 })).toMatchObject({ bytes: 100, packets: 2 });
    expect(flow({ sampling_rate: 0 }).sampling).toBeUndefined();
  });

  it('refuses a sampling rate that is not a number, since it would scale the counts', () => {
    const result = normalize('flows.v1', { ts: 1700000000, src_ip: '10.0.0.1', dst_ip: '8.8.8.8', sampling_rate: 'often' }, near);
    expect(result).toMatchObject({ ok: false, error: { code: 'invalid_number', field: 'sampling_rate' } });
  });
});

describe("normalize: the exporter's clock against the receive time", () => {
  const at = (receivedAt: string, maxClockSkewSec?: number) => anIngressContext({ receivedAt, maxClockSkewSec });

  it('keeps the exporter time within the bound (default 300 s) and records the skew', () => {
    const result = normalize('flows.v1', aFlowRecord({ ts: 1700000000 }), at('2023-11-14T22:18:19.000Z'));
    expect(result).toMatchObject({ ok: true, flow: { tsMs: 1700000000000, clock: { source: 'exporter', skewSec: -299 } } });
  });

  it.each([
    ['50 days in the future', 1700000000 + 50 * 86_400, 50 * 86_400],
    ['a day behind', 1700000000 - 86_400, -86_400],
    ['at the epoch', 0, -1700000000],
  ])('takes the receive time for a flow %s', (_, ts, skewSec) => {
    const result = normalize('flows.v1', aFlowRecord({ ts }), at('2023-11-14T22:13:20.000Z'));
    expect(result).toMatchObject({ ok: true, flow: { tsMs: 1700000000000, clock: { source: 'received', skewSec, exportedTsMs: ts * 1000 } } });
  });

  it("compares the flow's end: a long Zeek connection started long ago but ended now keeps its start", () => {
    const record = aZeekConn({ ts: 1700000000, duration: 3600 });
    const result = normalize('zeek.conn', record, at('2023-11-14T23:13:22.000Z'));
    expect(result).toMatchObject({ ok: true, flow: { tsMs: 1700000000000, clock: { source: 'exporter', skewSec: -2 } } });
  });

  it('follows MAX_CLOCK_SKEW_S', () => {
    const result = normalize('flows.v1', aFlowRecord({ ts: 1700000000 }), at('2023-11-14T22:14:20.000Z', 30));
    expect(result).toMatchObject({ ok: true, flow: { tsMs: Date.parse('2023-11-14T22:14:20.000Z'), clock: { source: 'received', skewSec: -60 } } });
  });

  it('keeps a time in the past, however old, in an upload (origin rest), and still replaces one ahead', () => {
    const upload = (ts: number) =>
      normalize('flows.v1', aFlowRecord({ ts }), anIngressContext({ receivedAt: '2023-11-14T22:13:20.000Z', keepsPastTimes: true }));
    expect(upload(1700000000 - 365 * 86_400)).toMatchObject({
      ok: true,
      flow: { tsMs: (1700000000 - 365 * 86_400) * 1000, clock: { source: 'exporter', skewSec: -365 * 86_400 } },
    });
    expect(upload(1700000000 + 86_400)).toMatchObject({ ok: true, flow: { tsMs: 1700000000000, clock: { source: 'received', skewSec: 86_400 } } });
  });

  it('leaves the time alone when the receive time cannot be read', () => {
    const result = normalize('flows.v1', aFlowRecord({ ts: 0 }), at('not a time'));
    expect(result).toMatchObject({ ok: true, flow: { tsMs: 0 } });
    expect(result.ok && result.flow.clock).toBeUndefined();
  });
});
