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
  /** The record as its producer sent it: nothing a user sent disappears. */
  readonly original: Readonly<Record<string, unknown>>;
  readonly ingress: { readonly topic: string; readonly partition: number; readonly offset: string; readonly receivedAt: string };
}
