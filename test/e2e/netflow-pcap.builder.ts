import * as fs from 'node:fs';

/**
 * Writes a classic pcap (Ethernet, IPv4, TCP/UDP headers only: the packets are captured truncated,
 * their IP total length says how big they were) for softflowd and pmacctd to replay. The packet
 * times are the flows' times: a replay dates its flows by them, as a router with that clock would.
 */
export interface PcapFlow {
  readonly startMs: number;
  readonly src: string;
  readonly dst: string;
  readonly srcPort: number;
  readonly dstPort: number;
  readonly protocol: 'tcp' | 'udp';
  readonly packets: number;
  /** IP total length of each packet. */
  readonly packetBytes: number;
  /** Milliseconds between packets. */
  readonly gapMs?: number;
  /** TCP flags of the first packet (then PSH|ACK); default SYN. */
  readonly firstFlags?: number;
  readonly tos?: number;
}

function address(ip: string): Buffer {
  return Buffer.from(ip.split('.').map(Number));
}

function checksum(header: Buffer): number {
  let sum = 0;
  for (let i = 0; i < header.length; i += 2) sum += header.readUInt16BE(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

function packet(flow: PcapFlow, index: number): Buffer {
  const atMs = flow.startMs + index * (flow.gapMs ?? 1);
  const ethernet = Buffer.alloc(14);
  ethernet.writeUInt16BE(0x0800, 12);
  const ip = Buffer.alloc(20);
  ip[0] = 0x45;
  ip[1] = flow.tos ?? 0;
  ip.writeUInt16BE(flow.packetBytes, 2);
  ip[8] = 64;
  ip[9] = flow.protocol === 'tcp' ? 6 : 17;
  address(flow.src).copy(ip, 12);
  address(flow.dst).copy(ip, 16);
  ip.writeUInt16BE(checksum(ip), 10);
  const transport = Buffer.alloc(flow.protocol === 'tcp' ? 20 : 8);
  transport.writeUInt16BE(flow.srcPort, 0);
  transport.writeUInt16BE(flow.dstPort, 2);
  if (flow.protocol === 'tcp') {
    transport[12] = 0x50;
    transport[13] = index === 0 ? (flow.firstFlags ?? 0x02) : 0x18;
  } else {
    transport.writeUInt16BE(flow.packetBytes - 20, 4);
  }
  const data = Buffer.concat([ethernet, ip, transport]);
  const record = Buffer.alloc(16);
  record.writeUInt32LE(Math.floor(atMs / 1000), 0);
  record.writeUInt32LE((atMs % 1000) * 1000, 4);
  record.writeUInt32LE(data.length, 8);
  record.writeUInt32LE(ethernet.length + flow.packetBytes, 12);
  return Buffer.concat([record, data]);
}

export function writePcap(file: string, flows: readonly PcapFlow[]): void {
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b2c3d4, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(65535, 16);
  header.writeUInt32LE(1, 20); // LINKTYPE_ETHERNET
  const packets = flows.flatMap((flow) =>
    Array.from({ length: flow.packets }, (_, index) => ({ at: flow.startMs + index * (flow.gapMs ?? 1), bytes: packet(flow, index) })),
  );
  packets.sort((a, b) => a.at - b.at);
  fs.writeFileSync(file, Buffer.concat([header, ...packets.map((p) => p.bytes)]));
}
