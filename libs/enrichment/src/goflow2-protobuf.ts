/**
 * goflow2's binary output (`-format=bin`): each Kafka message is one `flowpb.FlowMessage` (goflow2 2.x
 * `pb/flow.proto`, package `flowpb`, proto3) preceded by its length as a varint (Go's protodelim).
 * This decoder turns it into the object goflow2 writes with `-format=json` (snake_case names,
 * addresses as text), so one normalizer reads both formats.
 *
 * Why a small decoder of our own rather than a generated one: one flat message of scalars, bytes
 * and packed lists; the errors name the field and byte offset for the dead-letter reason; 64-bit
 * values come out as plain numbers (as `JSON.parse` gives them from goflow2's JSON); and fields
 * this version does not know (goflow2's custom mappings) are kept rather than dropped.
 */

/** Why a message is not one length-prefixed FlowMessage; the message is the dead-letter reason. */
export class ProtobufDecodeError extends Error {
  readonly code = 'invalid_protobuf';
}

type Kind = 'uint' | 'ip' | 'mac' | 'enum:type' | 'uint[]' | 'ip[]' | 'enum:layer[]';

/** Field number → name and how to read it, from goflow2 2.x pb/flow.proto. */
const FIELDS: ReadonlyMap<number, { readonly name: string; readonly kind: Kind }> = new Map<number, { name: string; kind: Kind }>([
  [1, { name: 'type', kind: 'enum:type' }],
  [110, { name: 'time_received_ns', kind: 'uint' }],
  [4, { name: 'sequence_num', kind: 'uint' }],
  [3, { name: 'sampling_rate', kind: 'uint' }],
  [11, { name: 'sampler_address', kind: 'ip' }],
  [111, { name: 'time_flow_start_ns', kind: 'uint' }],
  [112, { name: 'time_flow_end_ns', kind: 'uint' }],
  [9, { name: 'bytes', kind: 'uint' }],
  [10, { name: 'packets', kind: 'uint' }],
  [6, { name: 'src_addr', kind: 'ip' }],
  [7, { name: 'dst_addr', kind: 'ip' }],
  [30, { name: 'etype', kind: 'uint' }],
  [20, { name: 'proto', kind: 'uint' }],
  [21, { name: 'src_port', kind: 'uint' }],
  [22, { name: 'dst_port', kind: 'uint' }],
  [18, { name: 'in_if', kind: 'uint' }],
  [19, { name: 'out_if', kind: 'uint' }],
  [27, { name: 'src_mac', kind: 'mac' }],
  [28, { name: 'dst_mac', kind: 'mac' }],
  [33, { name: 'src_vlan', kind: 'uint' }],
  [34, { name: 'dst_vlan', kind: 'uint' }],
  [29, { name: 'vlan_id', kind: 'uint' }],
  [23, { name: 'ip_tos', kind: 'uint' }],
  [24, { name: 'forwarding_status', kind: 'uint' }],
  [25, { name: 'ip_ttl', kind: 'uint' }],
  [38, { name: 'ip_flags', kind: 'uint' }],
  [26, { name: 'tcp_flags', kind: 'uint' }],
  [31, { name: 'icmp_type', kind: 'uint' }],
  [32, { name: 'icmp_code', kind: 'uint' }],
  [37, { name: 'ipv6_flow_label', kind: 'uint' }],
  [35, { name: 'fragment_id', kind: 'uint' }],
  [36, { name: 'fragment_offset', kind: 'uint' }],
  [14, { name: 'src_as', kind: 'uint' }],
  [15, { name: 'dst_as', kind: 'uint' }],
  [12, { name: 'next_hop', kind: 'ip' }],
  [13, { name: 'next_hop_as', kind: 'uint' }],
  [16, { name: 'src_net', kind: 'uint' }],
  [17, { name: 'dst_net', kind: 'uint' }],
  [100, { name: 'bgp_next_hop', kind: 'ip' }],
  [101, { name: 'bgp_communities', kind: 'uint[]' }],
  [102, { name: 'as_path', kind: 'uint[]' }],
  [80, { name: 'mpls_ttl', kind: 'uint[]' }],
  [81, { name: 'mpls_label', kind: 'uint[]' }],
  [82, { name: 'mpls_ip', kind: 'ip[]' }],
  [70, { name: 'observation_domain_id', kind: 'uint' }],
  [71, { name: 'observation_point_id', kind: 'uint' }],
  [103, { name: 'layer_stack', kind: 'enum:layer[]' }],
  [104, { name: 'layer_size', kind: 'uint[]' }],
  [105, { name: 'ipv6_routing_header_addresses', kind: 'ip[]' }],
  [106, { name: 'ipv6_routing_header_seg_left', kind: 'uint' }],
]);

/**
 * proto3 leaves zeros off the wire; goflow2's JSON writes every number, 0 included, and so does this
 * decoder, but for the times: an absent flow start falls back to the receive time, not to 1970.
 */
const ZERO_DEFAULTS: readonly string[] = [...FIELDS.values()]
  .filter((field) => field.kind === 'uint' && !field.name.startsWith('time_'))
  .map((field) => field.name);

const FLOW_TYPES = ['FLOWUNKNOWN', 'SFLOW_5', 'NETFLOW_V5', 'NETFLOW_V9', 'IPFIX'];
const LAYERS: Readonly<Record<number, string>> = {
  0: 'Ethernet',
  1: 'IPv4',
  2: 'IPv6',
  3: 'TCP',
  4: 'UDP',
  5: 'MPLS',
  6: 'Dot1Q',
  7: 'ICMP',
  8: 'ICMPv6',
  9: 'GRE',
  10: 'IPv6HeaderRouting',
  11: 'IPv6HeaderFragment',
  12: 'Geneve',
  13: 'Teredo',
  99: 'Custom',
};

const VARINT = 0;
const FIXED64 = 1;
const LENGTH_DELIMITED = 2;
const FIXED32 = 5;

class Reader {
  pos = 0;
  constructor(
    readonly buf: Buffer,
    readonly end: number,
  ) {}

  /** An unsigned varint as a number (exact below 2^53, as JSON numbers are). */
  varint(what: string): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new ProtobufDecodeError(`truncated varint (${what}) at byte ${this.pos}`);
      const byte = this.buf[this.pos++];
      result += (byte & 0x7f) * scale;
      if (byte < 0x80) return result;
      scale *= 128;
    }
    throw new ProtobufDecodeError(`varint longer than 10 bytes (${what}) at byte ${this.pos}`);
  }

  bytes(what: string): Buffer {
    const length = this.varint(`length of ${what}`);
    if (this.pos + length > this.end) {
      throw new ProtobufDecodeError(`${what} says ${length} bytes at byte ${this.pos}, but only ${this.end - this.pos} remain`);
    }
    const out = this.buf.subarray(this.pos, this.pos + length);
    this.pos += length;
    return out;
  }

  skip(wireType: number, field: number): void {
    if (wireType === VARINT) this.varint(`field ${field}`);
    else if (wireType === LENGTH_DELIMITED) this.bytes(`field ${field}`);
    else if (wireType === FIXED64 || wireType === FIXED32) {
      const size = wireType === FIXED64 ? 8 : 4;
      if (this.pos + size > this.end) throw new ProtobufDecodeError(`truncated fixed-size field ${field} at byte ${this.pos}`);
      this.pos += size;
    } else {
      throw new ProtobufDecodeError(`field ${field} has wire type ${wireType}, which proto3 does not write`);
    }
  }
}

function ipText(bytes: Buffer, name: string): string | undefined {
  if (bytes.length === 0) return undefined;
  if (bytes.length === 4) return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
  if (bytes.length === 16) {
    const groups: string[] = [];
    for (let i = 0; i < 16; i += 2) groups.push(bytes.readUInt16BE(i).toString(16));
    // The normalizer writes every address out canonically (compressed, IPv4-mapped unmapped).
    return groups.join(':');
  }
  throw new ProtobufDecodeError(`${name} has ${bytes.length} bytes; an address has 4 (IPv4) or 16 (IPv6)`);
}

function macText(value: number): string {
  const parts: string[] = [];
  for (let i = 5; i >= 0; i--) parts.push((Math.floor(value / 2 ** (8 * i)) % 256).toString(16).padStart(2, '0'));
  return parts.join(':');
}

function pushList(out: Record<string, unknown>, name: string, value: unknown): void {
  const list = (out[name] as unknown[] | undefined) ?? [];
  list.push(value);
  out[name] = list;
}

/**
 * Decodes one Kafka message of goflow2's `-format=bin` (a varint length, then exactly that many
 * bytes of FlowMessage) into goflow2's JSON shape. Throws ProtobufDecodeError saying what is wrong.
 */
export function decodeGoflow2FlowMessage(message: Buffer): Record<string, unknown> {
  if (message.length === 0) throw new ProtobufDecodeError('empty message: expected a varint length and a flowpb.FlowMessage');
  const prefix = new Reader(message, message.length);
  const length = prefix.varint('length prefix');
  const remaining = message.length - prefix.pos;
  if (length !== remaining) {
    throw new ProtobufDecodeError(
      `the length prefix says ${length} bytes but ${remaining} follow: not one length-delimited flowpb.FlowMessage (goflow2 -format=bin)`,
    );
  }
  const reader = new Reader(message, message.length);
  reader.pos = prefix.pos;
  const out: Record<string, unknown> = {};
  while (reader.pos < reader.end) {
    const tag = reader.varint('field tag');
    const number = Math.floor(tag / 8);
    const wireType = tag % 8;
    if (number === 0) throw new ProtobufDecodeError(`field number 0 at byte ${reader.pos}`);
    const field = FIELDS.get(number);
    if (field === undefined) {
      // A custom field (goflow2's mapping config can add them): kept under its number.
      if (wireType === VARINT) out[`field_${number}`] = reader.varint(`field ${number}`);
      else if (wireType === LENGTH_DELIMITED) out[`field_${number}`] = reader.bytes(`field ${number}`).toString('hex');
      else reader.skip(wireType, number);
      continue;
    }
    const { name, kind } = field;
    const list = kind.endsWith('[]');
    if (list && !(kind === 'ip[]') && wireType === LENGTH_DELIMITED) {
      // Packed repeated scalars (proto3's default).
      const packed = reader.bytes(name);
      const inner = new Reader(packed, packed.length);
      while (inner.pos < inner.end) {
        const value = inner.varint(name);
        pushList(out, name, kind === 'enum:layer[]' ? (LAYERS[value] ?? value) : value);
      }
      continue;
    }
    const expected = kind === 'ip' || kind === 'ip[]' ? LENGTH_DELIMITED : VARINT;
    if (wireType !== expected) {
      throw new ProtobufDecodeError(`field ${number} (${name}) has wire type ${wireType}, expected ${expected}: not a goflow2 flowpb.FlowMessage`);
    }
    switch (kind) {
      case 'uint':
        out[name] = reader.varint(name);
        break;
      case 'enum:type': {
        const value = reader.varint(name);
        out[name] = FLOW_TYPES[value] ?? value;
        break;
      }
      case 'mac':
        out[name] = macText(reader.varint(name));
        break;
      case 'ip': {
        const ip = ipText(reader.bytes(name), name);
        if (ip !== undefined) out[name] = ip;
        break;
      }
      case 'ip[]': {
        const ip = ipText(reader.bytes(name), name);
        if (ip !== undefined) pushList(out, name, ip);
        break;
      }
      case 'uint[]':
        pushList(out, name, reader.varint(name));
        break;
      case 'enum:layer[]': {
        const value = reader.varint(name);
        pushList(out, name, LAYERS[value] ?? value);
        break;
      }
    }
  }
  for (const name of ZERO_DEFAULTS) if (out[name] === undefined) out[name] = 0;
  return out;
}
