import { sinkDeadLetterTopicSpec, sinkRetryTopicSpec, sinkTopicSpecs } from './sinks';

const DAY_MS = 24 * 3_600_000;

describe('the topic specs of a sink (one definition for the sink, the DLQ replay and the DLQ projection)', () => {
  it('a retry topic keeps records at least 7 days, and 10 times its delay', () => {
    expect(sinkRetryTopicSpec('elastic', 1, 6, 10_000)).toEqual({ name: 'telemetry.sink.elastic.retry.1.v1', partitions: 6, retentionMs: 7 * DAY_MS });
    expect(sinkRetryTopicSpec('splunk', 1, 3, 30 * DAY_MS)).toMatchObject({ retentionMs: 300 * DAY_MS });
  });

  it('one retry topic per delay, then the dead-letter topic with one partition and 30 days', () => {
    expect(sinkTopicSpecs('splunk', [10_000, 60_000], 4)).toEqual([
      { name: 'telemetry.sink.splunk.retry.1.v1', partitions: 4, retentionMs: 7 * DAY_MS },
      { name: 'telemetry.sink.splunk.retry.2.v1', partitions: 4, retentionMs: 7 * DAY_MS },
      { name: 'telemetry.sink.splunk.dlq.v1', partitions: 1, retentionMs: 30 * DAY_MS },
    ]);
    expect(sinkDeadLetterTopicSpec('elastic')).toEqual({ name: 'telemetry.sink.elastic.dlq.v1', partitions: 1, retentionMs: 30 * DAY_MS });
  });
});
