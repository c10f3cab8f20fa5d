/** The one flow shape every ingress format is normalized to, before enrichment. */
export const NORMALIZED_FLOW_SCHEMA_VERSION = 1;

export type Protocol = 'tcp' | 'udp' | 'icmp' | 'icmpv6' | 'sctp' | 'gre' | 'esp' | string;

export interface NormalizedFlow {
  readonly schemaVersion: typeof NORMALIZED_FLOW_SCHEMA_VERSION;
  /** Stable across redelivery: derived from the ingress coordinates, so sinks can write idempotently. */
  readonly eventId: string;
  readonly tenantId: string;
  readonly collectorId: string;
  readonly format: 'zeek.conn' | 'flows.v1';
  /** Flow start, milliseconds since the epoch. */
  readonly tsMs: number;
  readonly srcIp: string;
  readonly dstIp: string;
  readonly srcPort: number | null;
  readonly dstPort: number | null;
  readonly protocol: Protocol | null;
  /** Total bytes both ways when the format reports them, else the bytes it reports. */
  readonly bytes: number | null;
  readonly packets: number | null;
  /** Bytes sent by the originator (Zeek orig_bytes), when known. */
  readonly origBytes: number | null;
  readonly durationSec: number | null;
  readonly zeek?: {
    readonly uid?: string;
    readonly service?: string;
    readonly connState?: string;
    readonly history?: string;
    readonly origBytes?: number;
    readonly respBytes?: number;
    readonly origPkts?: number;
    readonly respPkts?: number;
  };
  /**
   * What exporters (NetFlow, IPFIX, sFlow via goflow2) say about the flow beyond the 5-tuple, when
   * they say it. Addresses are canonical; numbers are as exported.
   */
  readonly exporter?: {
    /** The exporter's (sampler's) address: goflow2 `sampler_address`. */
    readonly address?: string;
    readonly inIf?: number;
    readonly outIf?: number;
    readonly srcAs?: number;
    readonly dstAs?: number;
    readonly nextHop?: string;
    readonly tcpFlags?: number;
    readonly tos?: number;
  };
  /**
   * Sampled flows (sFlow, sampled NetFlow): `bytes` and `packets` above are already multiplied by
   * `rate`; these are the counts as exported.
   */
  readonly sampling?: { readonly rate: number; readonly bytes: number | null; readonly packets: number | null };
  /**
   * Which clock dated the flow: the exporter's (`tsMs` as exported) or the receive time, taken when
   * the exporter's clock was off by more than the allowed skew. `skewSec` is the exporter's flow end
   * (start + duration, or start) minus the receive time; `exportedTsMs` is the start as exported.
   */
  readonly clock?: { readonly source: 'exporter' | 'received'; readonly skewSec: number; readonly exportedTsMs: number };
  /** The record as its producer sent it: nothing a user sent disappears. */
  readonly original: Readonly<Record<string, unknown>>;
  readonly ingress: {
    readonly topic: string;
    readonly partition: number;
    readonly offset: string;
    /** The record's line in a frame at that offset (record-frames.ts); absent for a message of one record. */
    readonly index?: number;
    readonly receivedAt: string;
    /** The wrapping the enricher took off the message to find the record, when there was one. */
    readonly envelope?: IngressEnvelope;
  };
}

/**
 * How a record arrived wrapped: Zeek's Kafka plugin with `tag_json = T` (`{"conn": {…}}`), Kafka
 * Connect's JsonConverter with schemas (`{"schema": …, "payload": …}`), or goflow2's protobuf.
 */
export type IngressEnvelope = 'zeek-tag-json' | 'kafka-connect' | 'goflow2-protobuf';
