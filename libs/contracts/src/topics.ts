/** Topic names are part of the contract: producers outside this project write to the ingress topics. */
export const TOPICS = {
  ingestZeekConn: 'telemetry.ingest.zeek-conn.v1',
  ingestFlows: 'telemetry.ingest.flows.v1',
  ingestNetflow: 'telemetry.ingest.netflow.v1',
  /** goflow2's protobuf output (`-format=bin`): one varint-length-prefixed `flowpb.FlowMessage` per message. */
  ingestGoflow2Protobuf: 'telemetry.ingest.goflow2-pb.v1',
  ingestDeadLetter: 'telemetry.ingest.dlq.v1',
  enriched: 'telemetry.enriched.v1',
  control: 'telemetry.control.v1',
} as const;

export type TopicName = (typeof TOPICS)[keyof typeof TOPICS];

export const INGRESS_TOPICS: readonly string[] = [TOPICS.ingestZeekConn, TOPICS.ingestFlows, TOPICS.ingestGoflow2Protobuf];

const DAY_MS = 24 * 60 * 60 * 1000;

export interface TopicDefaults {
  readonly name: string;
  readonly partitions: number;
  readonly retentionMs: number;
  readonly cleanupPolicy?: 'delete' | 'compact';
}

/** The ingest dead-letter topic: one partition (ordered inspection), 30 days. */
export const INGEST_DEAD_LETTER_TOPIC_SPEC: TopicDefaults = { name: TOPICS.ingestDeadLetter, partitions: 1, retentionMs: 30 * DAY_MS };

/** Partition counts and retention the apps create topics with when they are missing. */
export function defaultTopicSpecs(partitions = 6, retentionDays = 7): TopicDefaults[] {
  const retentionMs = retentionDays * DAY_MS;
  return [
    { name: TOPICS.ingestZeekConn, partitions, retentionMs },
    { name: TOPICS.ingestFlows, partitions, retentionMs },
    { name: TOPICS.ingestNetflow, partitions, retentionMs },
    { name: TOPICS.ingestGoflow2Protobuf, partitions, retentionMs },
    INGEST_DEAD_LETTER_TOPIC_SPEC,
    { name: TOPICS.enriched, partitions, retentionMs },
    // The control topic is the event store of the admin plane: it is never deleted.
    { name: TOPICS.control, partitions: 1, retentionMs: -1 },
  ];
}
