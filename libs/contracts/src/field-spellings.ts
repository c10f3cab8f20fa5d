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

/**
 * What exporters add beyond the 5-tuple, as flows.v1, NetFlow v9 (RFC 3954), IPFIX (RFC 7012) and
 * goflow2 (2.x snake_case, 1.x PascalCase) spell it; the first present wins. All optional: a value
 * that cannot be read is left out of the enriched flow (it stays under `original`), except the
 * sampling rate, which scales the counts and so must be a number.
 */
export const FLOW_EXPORTER_FIELD_SPELLINGS = {
  exporter: ['exporter', 'sampler_address', 'exporterIPv4Address', 'exporterIPv6Address', 'SamplerAddress'],
  inIf: ['in_if', 'input_snmp', 'ingressInterface', 'InIf'],
  outIf: ['out_if', 'output_snmp', 'egressInterface', 'OutIf'],
  srcAs: ['src_as', 'bgpSourceAsNumber', 'SrcAS'],
  dstAs: ['dst_as', 'bgpDestinationAsNumber', 'DstAS'],
  nextHop: ['next_hop', 'ipv4_next_hop', 'ipv6_next_hop', 'ipNextHopIPv4Address', 'ipNextHopIPv6Address', 'NextHop'],
  tcpFlags: ['tcp_flags', 'tcpControlBits', 'TCPFlags'],
  tos: ['tos', 'ip_tos', 'src_tos', 'ipClassOfService', 'IPTos'],
  samplingRate: ['sampling_rate', 'sampling_interval', 'samplingInterval', 'SamplingRate'],
  /** The flow's end, for the duration when the record has no `duration`. */
  end: ['time_flow_end_ns', 'last_switched', 'flowEndMilliseconds', 'flowEndSeconds', 'TimeFlowEndNs', 'TimeFlowEnd'],
} as const;
