import {
  deadLetterHeader,
  deadLetterStageOfSink,
  DEAD_LETTER_HEADERS,
  HEADERS,
  sinkDeadLetterTopic,
  sinkRetryTopic,
  withoutDeadLetterHeaders,
} from '@telemetry/contracts';
import type { OutgoingRecord } from '@telemetry/event-log';
import type { ItemOutcome, SinkItem } from './exporter.port';

export interface RoutingPolicy {
  readonly sink: string;
  /** Delay before retry n (index n-1); its length is the number of retries before the DLQ. */
  readonly retryDelaysMs: readonly number[];
}

export interface RoutedOutcomes {
  readonly delivered: number;
  /** Records for each retry topic. */
  readonly retries: ReadonlyMap<string, OutgoingRecord[]>;
  readonly deadLetters: OutgoingRecord[];
  readonly retriedByClass: ReadonlyMap<string, number>;
  readonly deadLetteredByClass: ReadonlyMap<string, number>;
}

/**
 * Decides where each item that was not delivered goes: the next delayed retry topic (retriable,
 * retries left), or the sink's dead-letter topic (permanent, or retries exhausted). Pure: the
 * clock is a parameter. Every record carries its original coordinates, tenant, trace context,
 * error class and message, attempt count and first-failure time in headers.
 */
export function routeOutcomes(items: readonly SinkItem[], outcomes: readonly ItemOutcome[], policy: RoutingPolicy, now: number): RoutedOutcomes {
  if (outcomes.length !== items.length) throw new Error(`exporter answered ${outcomes.length} outcomes for ${items.length} items`);
  const retries = new Map<string, OutgoingRecord[]>();
  const deadLetters: OutgoingRecord[] = [];
  const retriedByClass = new Map<string, number>();
  const deadLetteredByClass = new Map<string, number>();
  let delivered = 0;
  items.forEach((item, index) => {
    const outcome = outcomes[index];
    if (outcome.kind === 'delivered') {
      delivered += 1;
      return;
    }
    const source = item.source;
    const story = (field: keyof typeof DEAD_LETTER_HEADERS) => deadLetterHeader(source.headers, field);
    const attempt = Number(story('attempt') ?? 0) + 1;
    const replayedFrom = story('replayedFrom');
    // The story so far is rewritten in the current vocabulary (a record written by an older version
    // may carry the former sink-* names), with this failure added.
    const headers: Record<string, string> = {
      ...withoutDeadLetterHeaders(source.headers),
      [HEADERS.tenantId]: item.tenantId,
      [DEAD_LETTER_HEADERS.stage]: deadLetterStageOfSink(policy.sink),
      [DEAD_LETTER_HEADERS.originalTopic]: story('originalTopic') ?? source.topic,
      [DEAD_LETTER_HEADERS.originalPartition]: story('originalPartition') ?? String(source.partition),
      [DEAD_LETTER_HEADERS.originalOffset]: story('originalOffset') ?? source.offset,
      [DEAD_LETTER_HEADERS.failedAt]: story('failedAt') ?? new Date(now).toISOString(),
      [DEAD_LETTER_HEADERS.attempt]: String(attempt),
      [DEAD_LETTER_HEADERS.code]: outcome.errorClass,
      [DEAD_LETTER_HEADERS.reason]: outcome.message.slice(0, 1_000),
      ...(replayedFrom ? { [DEAD_LETTER_HEADERS.replayedFrom]: replayedFrom } : {}),
    };
    const record = (extra: Record<string, string> = {}): OutgoingRecord => ({ key: source.key, value: item.payload, headers: { ...headers, ...extra } });
    if (outcome.kind === 'retriable' && attempt <= policy.retryDelaysMs.length) {
      const delay = Math.max(policy.retryDelaysMs[attempt - 1], outcome.retryAfterMs ?? 0);
      const topic = sinkRetryTopic(policy.sink, attempt);
      const list = retries.get(topic) ?? [];
      list.push(record({ [DEAD_LETTER_HEADERS.notBefore]: String(now + delay) }));
      retries.set(topic, list);
      retriedByClass.set(outcome.errorClass, (retriedByClass.get(outcome.errorClass) ?? 0) + 1);
      return;
    }
    const exhausted = outcome.kind === 'retriable';
    const message = exhausted ? `${outcome.message} (gave up after ${attempt} attempts)` : outcome.message;
    deadLetters.push(record({ [DEAD_LETTER_HEADERS.reason]: message.slice(0, 1_000) }));
    deadLetteredByClass.set(outcome.errorClass, (deadLetteredByClass.get(outcome.errorClass) ?? 0) + 1);
  });
  return { delivered, retries, deadLetters, retriedByClass, deadLetteredByClass };
}

/** The dead-letter topic of a sink (re-exported so adapters need one import). */
export const deadLetterTopicOf = sinkDeadLetterTopic;
