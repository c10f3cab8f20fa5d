import { HEADERS, SINK_HEADERS, sinkDeadLetterTopic, sinkRetryTopic } from '@telemetry/contracts';
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
    const attempt = Number(source.headers[SINK_HEADERS.attempt] ?? 0) + 1;
    const headers: Record<string, string> = {
      ...source.headers,
      [HEADERS.tenantId]: item.tenantId,
      [SINK_HEADERS.sink]: policy.sink,
      [SINK_HEADERS.originalTopic]: source.headers[SINK_HEADERS.originalTopic] ?? source.topic,
      [SINK_HEADERS.originalPartition]: source.headers[SINK_HEADERS.originalPartition] ?? String(source.partition),
      [SINK_HEADERS.originalOffset]: source.headers[SINK_HEADERS.originalOffset] ?? source.offset,
      [SINK_HEADERS.firstFailureAt]: source.headers[SINK_HEADERS.firstFailureAt] ?? new Date(now).toISOString(),
      [SINK_HEADERS.attempt]: String(attempt),
      [SINK_HEADERS.errorClass]: outcome.errorClass,
      [SINK_HEADERS.errorMessage]: outcome.message.slice(0, 1_000),
    };
    delete headers[SINK_HEADERS.notBefore];
    const record = (extra: Record<string, string> = {}): OutgoingRecord => ({ key: source.key, value: item.payload, headers: { ...headers, ...extra } });
    if (outcome.kind === 'retriable' && attempt <= policy.retryDelaysMs.length) {
      const delay = Math.max(policy.retryDelaysMs[attempt - 1], outcome.retryAfterMs ?? 0);
      const topic = sinkRetryTopic(policy.sink, attempt);
      const list = retries.get(topic) ?? [];
      list.push(record({ [SINK_HEADERS.notBefore]: String(now + delay) }));
      retries.set(topic, list);
      retriedByClass.set(outcome.errorClass, (retriedByClass.get(outcome.errorClass) ?? 0) + 1);
      return;
    }
    const exhausted = outcome.kind === 'retriable';
    const message = exhausted ? `${outcome.message} (gave up after ${attempt} attempts)` : outcome.message;
    deadLetters.push(record({ [SINK_HEADERS.errorMessage]: message.slice(0, 1_000) }));
    deadLetteredByClass.set(outcome.errorClass, (deadLetteredByClass.get(outcome.errorClass) ?? 0) + 1);
  });
  return { delivered, retries, deadLetters, retriedByClass, deadLetteredByClass };
}

/** The dead-letter topic of a sink (re-exported so adapters need one import). */
export const deadLetterTopicOf = sinkDeadLetterTopic;
