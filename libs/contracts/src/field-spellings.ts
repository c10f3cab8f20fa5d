/**
 * The field names producers use for each part of a flow, in the order they are looked up (the first
 * present wins; 0 and '' are present). One list serves the enricher's normalizer, the edge
 * validation and the published JSON Schemas, so they can never disagree.
 */
export const FLOW_FIELD_SPELLINGS = {
  srcIp: ['src_ip', 'ipv4_src_addr', 'sourceIPv4Address', 'sourceIPv6Address', 'ipv6_src_addr', 'SrcAddr', 'src_addr'],
  dstIp: ['dst_ip', 'ipv4_dst_addr', 'destinationIPv4Address', 'destinationIPv6Address', 'ipv6_dst_addr', 'DstAddr', 'dst_addr'],
  srcPort: ['src_port', 'l4_src_port', 'sourceTransportPort', 'SrcPort'],
  dstPort: ['dst_port', 'l4_dst_port', 'destinationTransportPort', 'DstPort'],
  protocol: ['protocol', 'proto', 'protocolIdentifier', 'Proto'],
  bytes: ['bytes', 'in_bytes', 'octetDeltaCount', 'inOctets', 'Bytes'],
  packets: ['packets', 'in_pkts', 'packetDeltaCount', 'inPackets', 'Packets'],
  // goflow2 v1 writes TimeFlowStart (s) / TimeFlowStartNs, v2 time_flow_start_ns; the receive time is the last resort.
  ts: [
    'ts',
    'timestamp',
    'time',
    '@timestamp',
    'first_switched',
    'flowStartMilliseconds',
    'flowStartSeconds',
    'TimeFlowStart',
    'TimeFlowStartNs',
    'time_flow_start_ns',
    'TimeReceived',
    'TimeReceivedNs',
    'time_received_ns',
  ],
} as const;

/** Zeek conn endpoints: `id.orig_h`, `id_orig_h`, or a nested `id: { orig_h }`. */
export const ZEEK_ENDPOINT_KEYS = ['orig_h', 'orig_p', 'resp_h', 'resp_p'] as const;
