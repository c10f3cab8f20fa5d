import * as fs from 'node:fs';
import * as path from 'node:path';
import { decodeGoflow2FlowMessage, ProtobufDecodeError } from './goflow2-protobuf';

// A minimal protobuf writer for the spec: enough to build FlowMessages field by field.
function varint(n: number): number[] {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n % 128) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}
const uint = (field: number, value: number) => [...varint(field * 8), ...varint(value)];
const bytes = (field: number, value: number[]) => [...varint(field * 8 + 2), ...varint(value.length), ...value];
const delimited = (...fields: number[][]) => {
  const body = fields.flat();
  return Buffer.from([...varint(body.length), ...body]);
};

describe('decodeGoflow2FlowMessage (goflow2 -format=bin)', () => {
  it('decodes a captured goflow2 v2.2.6 message (softflowd NetFlow v5) into the names goflow2 -format=json writes', () => {
    const message = fs.readFileSync(path.resolve(__dirname, '../../../fixtures/ok/goflow2-v2-bin-netflow-v5-softflowd.bin'));
    const json = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../../fixtures/ok/goflow2-v2-json-netflow-v5-softflowd.json'), 'utf8'));
    const decoded = decodeGoflow2FlowMessage(message);
    expect(decoded).toMatchObject({
      type: 'NETFLOW_V5',
      sampler_address: '127.0.0.1',
      src_addr: '10.1.2.3',
      dst_addr: '185.220.101.45',
      proto: 6,
      src_port: 55123,
      dst_port: 443,
      bytes: 1_500_000,
      packets: 1000,
      tcp_flags: 26,
      etype: 0x800,
      next_hop: '0.0.0.0',
    });
    // The two captures are separate runs over one pcap: the flow's own fields agree.
    for (const field of [
      'sampler_address',
      'src_addr',
      'dst_addr',
      'src_port',
      'dst_port',
      'bytes',
      'packets',
      'tcp_flags',
      'in_if',
      'out_if',
      'src_as',
      'dst_as',
    ]) {
      expect([field, decoded[field]]).toEqual([field, json[field]]);
    }
    expect(Number(decoded.time_flow_end_ns) - Number(decoded.time_flow_start_ns)).toBeCloseTo(json.time_flow_end_ns - json.time_flow_start_ns, -4);
  });

  it('reads IPv6 addresses, MACs, 64-bit times, packed and unpacked lists, enums, and keeps unknown fields by number', () => {
    const v6 = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
    const message = delimited(
      uint(1, 4),
      bytes(6, v6),
      bytes(7, [192, 0, 2, 9]),
      uint(111, 1_796_170_715_995_067_000),
      uint(27, 0x0050_56aa_bb01),
      bytes(102, [...varint(64_512), ...varint(15_169)]),
      uint(102, 13_335),
      bytes(103, [2, 3]),
      uint(1000, 7),
      bytes(1001, [0xde, 0xad]),
    );
    expect(decodeGoflow2FlowMessage(message)).toEqual({
      type: 'IPFIX',
      src_addr: '2001:db8:0:0:0:0:0:1',
      dst_addr: '192.0.2.9',
      time_flow_start_ns: 1_796_170_715_995_067_000,
      src_mac: '00:50:56:aa:bb:01',
      as_path: [64_512, 15_169, 13_335],
      layer_stack: ['IPv6', 'TCP'],
      field_1000: 7,
      field_1001: 'dead',
      // proto3 writes no zeros; goflow2's JSON does, and so does the decoder (times excepted).
      ...Object.fromEntries(
        [
          'sequence_num',
          'sampling_rate',
          'bytes',
          'packets',
          'etype',
          'proto',
          'src_port',
          'dst_port',
          'in_if',
          'out_if',
          'src_vlan',
          'dst_vlan',
          'vlan_id',
          'ip_tos',
          'forwarding_status',
          'ip_ttl',
          'ip_flags',
          'tcp_flags',
          'icmp_type',
          'icmp_code',
          'ipv6_flow_label',
          'fragment_id',
          'fragment_offset',
          'src_as',
          'dst_as',
          'next_hop_as',
          'src_net',
          'dst_net',
          'observation_domain_id',
          'observation_point_id',
          'ipv6_routing_header_seg_left',
        ].map((name) => [name, 0]),
      ),
    });
  });

  it.each([
    ['an empty message', Buffer.alloc(0), /^empty message/],
    ['a message without its length prefix', Buffer.from(uint(9, 1500)), /length prefix says 72 bytes but 2 follow/],
    ['a truncated varint', Buffer.from([2, ...varint(9 * 8), 0x80]), /truncated varint \(bytes\)/],
    ['an address of 5 bytes', delimited(bytes(6, [1, 2, 3, 4, 5])), /src_addr has 5 bytes/],
    ['a known field with the wrong wire type', delimited(bytes(9, [1])), /field 9 \(bytes\) has wire type 2, expected 0/],
    ['a group (wire type 3)', delimited([...varint(500 * 8 + 3)]), /wire type 3/],
    ['a length running past the end', delimited([...varint(6 * 8 + 2), 16, 1, 2]), /src_addr says 16 bytes .* only 2 remain/],
  ])('refuses %s with a reason', (_, message, reason) => {
    expect(() => decodeGoflow2FlowMessage(message)).toThrow(ProtobufDecodeError);
    expect(() => decodeGoflow2FlowMessage(message)).toThrow(reason);
  });
});
