import type { TopicDefaults } from './topics';

/**
 * Sinks deliver telemetry.enriched.v1 to outside destinations. Items a destination refuses for now
 * go through delayed retry topics; items it refuses for good, or that exhausted their retries, go to
 * the sink's dead-letter topic. Every retry/DLQ record carries its story in DEAD_LETTER_HEADERS.
 */
export const SINK_NAMES = ['splunk', 'elastic'] as const;
export type SinkName = (typeof SINK_NAMES)[number];

export const sinkRetryTopic = (sink: string, attempt: number): string => `telemetry.sink.${sink}.retry.${attempt}.v1`;
export const sinkDeadLetterTopic = (sink: string): string => `telemetry.sink.${sink}.dlq.v1`;

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * The retry topic of one attempt, as every writer creates it (the sink, the DLQ replay): whichever
 * process creates it first, it is the same topic. Kept at least 7 days, and 10 times its delay.
 */
export function sinkRetryTopicSpec(sink: string, attempt: number, partitions: number, delayMs: number): TopicDefaults {
  return { name: sinkRetryTopic(sink, attempt), partitions, retentionMs: Math.max(7 * DAY_MS, delayMs * 10) };
}

/** A sink's dead-letter topic: one partition (ordered inspection), 30 days. */
export function sinkDeadLetterTopicSpec(sink: string): TopicDefaults {
  return { name: sinkDeadLetterTopic(sink), partitions: 1, retentionMs: 30 * DAY_MS };
}

/** Every topic a sink writes: its retry topics (one per delay) and its dead-letter topic. */
export function sinkTopicSpecs(sink: string, retryDelaysMs: readonly number[], partitions: number): TopicDefaults[] {
  return [...retryDelaysMs.map((delay, index) => sinkRetryTopicSpec(sink, index + 1, partitions, delay)), sinkDeadLetterTopicSpec(sink)];
}

/** Delays before the 1st, 2nd, 3rd retry; after the last one an item goes to the dead-letter topic. */
export const DEFAULT_SINK_RETRY_DELAYS_MS: readonly number[] = [10_000, 60_000, 600_000];
