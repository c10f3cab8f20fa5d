import { DynamicModule, INestMicroservice, Module, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import type { BatchResult, EventLog, RecordBatch } from '@telemetry/event-log';
import { uniqueName, waitFor } from '@telemetry/testing';
import { Registry } from 'prom-client';
import { defer, Observable, Subject } from 'rxjs';
import { METRICS_REGISTRY } from '../../metrics/metrics.registry';
import { ConsumerMetrics } from '../consumer.metrics';
import { EventLogConsumer } from '../event-log-consumer.decorator';
import { EventLogContext } from '../event-log.context';
import { EventLogTransport } from '../event-log.transport';

export interface TransportContractLog {
  readonly log: EventLog;
  teardown(): Promise<void>;
}

async function sum(offsets: Promise<Map<number, string>>): Promise<number> {
  let total = 0;
  for (const offset of (await offsets).values()) total += Number(offset);
  return total;
}

/**
 * The event-log port's guarantees, proven through the Nest transport: what a handler answers (nothing,
 * a BatchResult, a throw) is what the port commits, pauses or redelivers. Run against every adapter.
 * Each test gets its own two topics (unique names where the log is shared, as a Kafka broker is) and
 * its own group prefix; the consumer classes are declared inside the tests, once the names are known.
 */
export function describeEventLogTransportContract(name: string, open: () => Promise<TransportContractLog>): void {
  describe(`EventLogTransport on the ${name} log: @EventPattern handlers as batch consumers over the event-log port`, () => {
    let opened: TransportContractLog;
    let log: EventLog;
    let app: INestMicroservice | undefined;
    let registry: Registry;
    let PREFIX: string;
    let A: string;
    let B: string;

    beforeEach(async () => {
      opened = await open();
      log = opened.log;
      PREFIX = uniqueName('transport');
      A = uniqueName('transport-a');
      B = uniqueName('transport-b');
      await log.ensureTopics([
        { name: A, partitions: 2, retentionMs: 3_600_000 },
        { name: B, partitions: 1, retentionMs: 3_600_000 },
      ]);
      registry = new Registry();
    });

    afterEach(async () => {
      await app?.close();
      app = undefined;
      await opened.teardown();
    });

    async function start(...consumers: Type<unknown>[]): Promise<void> {
      @Module({})
      class SpecModule {
        static build(): DynamicModule {
          return { module: SpecModule, controllers: consumers, providers: [{ provide: METRICS_REGISTRY, useValue: registry }, ConsumerMetrics] };
        }
      }
      app = await NestFactory.createMicroservice(SpecModule.build(), { strategy: new EventLogTransport(log, { groupPrefix: PREFIX }), logger: false });
      await app.listen();
    }

    it('one subscription per group over every topic its handlers name; each batch reaches the handler of its topic, then is committed', async () => {
      const seen: Array<{ handler: string; topic: string; values: string[]; group: string }> = [];
      @EventLogConsumer()
      class Consumer {
        @EventPattern(A, { group: 'g1' })
        onA(@Payload() batch: RecordBatch, @Ctx() context: EventLogContext): Promise<void> {
          seen.push({ handler: A, topic: batch.topic, values: batch.records.map((record) => record.value.toString()), group: context.groupId });
          return Promise.resolve();
        }

        @EventPattern(B, { group: 'g1' })
        onB(@Payload() batch: RecordBatch, @Ctx() context: EventLogContext): Promise<void> {
          seen.push({ handler: B, topic: batch.topic, values: batch.records.map((record) => record.value.toString()), group: context.groupId });
          return Promise.resolve();
        }
      }
      await start(Consumer);
      await log.publish(A, [
        { key: 'k', value: 'a1' },
        { key: 'k', value: 'a2' },
      ]);
      await log.publish(B, [{ value: 'b1' }]);
      await waitFor(async () => (await sum(log.committedOffsets(`${PREFIX}-g1`, A))) === 2 && (await sum(log.committedOffsets(`${PREFIX}-g1`, B))) === 1, {
        description: 'both topics committed by group spec-g1',
      });
      expect(seen.filter((entry) => entry.handler === A).flatMap((entry) => entry.values)).toEqual(['a1', 'a2']);
      expect(seen.filter((entry) => entry.handler === B).flatMap((entry) => entry.values)).toEqual(['b1']);
      expect(seen.every((entry) => entry.handler === entry.topic && entry.group === `${PREFIX}-g1`)).toBe(true);
      const metrics = await registry.getSingleMetricAsString('telemetry_consumer_records_total');
      expect(metrics).toContain('telemetry_consumer_records_total{group="g1"} 3');
    });

    it('two groups on one topic each get every record at their own pace', async () => {
      const byGroup: Record<string, string[]> = { fast: [], slow: [] };
      const release = new Subject<void>();
      @EventLogConsumer()
      class Fast {
        @EventPattern(A, { group: 'fast' })
        handle(batch: RecordBatch): Promise<void> {
          byGroup.fast.push(...batch.records.map((record) => record.value.toString()));
          return Promise.resolve();
        }
      }
      @EventLogConsumer()
      class Slow {
        @EventPattern(A, { group: 'slow' })
        handle(batch: RecordBatch): Observable<void> {
          // Acknowledged only when the observable completes.
          return defer(
            () =>
              new Observable<void>((subscriber) => {
                const subscription = release.subscribe(() => {
                  byGroup.slow.push(...batch.records.map((record) => record.value.toString()));
                  subscriber.complete();
                });
                return () => subscription.unsubscribe();
              }),
          );
        }
      }
      await start(Fast, Slow);
      await log.publish(A, [{ key: 'k', value: 'x1' }]);
      await waitFor(async () => (await sum(log.committedOffsets(`${PREFIX}-fast`, A))) === 1, { description: 'the fast group committed' });
      expect(byGroup.fast).toEqual(['x1']);
      // The slow group's work is not acknowledged yet: nothing of it is committed.
      expect(await sum(log.committedOffsets(`${PREFIX}-slow`, A))).toBe(0);
      release.next();
      await waitFor(async () => (await sum(log.committedOffsets(`${PREFIX}-slow`, A))) === 1, {
        description: 'the slow group committed once its work completed',
      });
      expect(byGroup.slow).toEqual(['x1']);
    });

    it('a throw means no commit and redelivery, counted by the exception filter', async () => {
      let calls = 0;
      const delivered: string[] = [];
      @EventLogConsumer()
      class Flaky {
        @EventPattern(B, { group: 'flaky' })
        handle(batch: RecordBatch): Promise<void> {
          calls += 1;
          if (calls === 1) return Promise.reject(Object.assign(new Error('destination unavailable'), { code: 'unavailable', retriable: true }));
          delivered.push(...batch.records.map((record) => record.value.toString()));
          return Promise.resolve();
        }
      }
      await start(Flaky);
      await log.publish(B, [{ value: 'r1' }]);
      await waitFor(() => calls >= 1, { description: 'the first attempt' });
      expect(await sum(log.committedOffsets(`${PREFIX}-flaky`, B))).toBe(0);
      await waitFor(async () => (await sum(log.committedOffsets(`${PREFIX}-flaky`, B))) === 1, { description: 'committed after the redelivery' });
      expect(calls).toBe(2);
      expect(delivered).toEqual(['r1']);
      const failures = await registry.getSingleMetricAsString('telemetry_consumer_failures_total');
      expect(failures).toContain('telemetry_consumer_failures_total{group="flaky",error_class="unavailable",retriable="true"} 1');
    });

    it('a partial consume with a due time commits the prefix and pauses only that partition', async () => {
      const delivered: Array<{ partition: number; value: string; at: number }> = [];
      // The held record is due a while after the handler first sees it (a broker's group join takes
      // a moment, so a due time set at publish could pass before the first fetch).
      let dueAt: number | undefined;
      @EventLogConsumer()
      class Delayed {
        @EventPattern(A, { group: 'delayed' })
        handle(batch: RecordBatch): Promise<void | BatchResult> {
          const now = Date.now();
          const held = batch.records.findIndex((record) => {
            if (!record.value.toString().startsWith('hold')) return false;
            dueAt ??= now + 4_000;
            return now < dueAt;
          });
          const consumed = held === -1 ? batch.records.length : held;
          for (const record of batch.records.slice(0, consumed)) delivered.push({ partition: batch.partition, value: record.value.toString(), at: now });
          return Promise.resolve(held === -1 ? undefined : { consumed, retryAtMs: dueAt });
        }
      }
      await start(Delayed);
      await log.publish(A, [
        { partition: 0, value: 'p0-first' },
        { partition: 0, value: 'hold-p0' },
        { partition: 1, value: 'p1-a' },
      ]);
      await waitFor(() => delivered.some((entry) => entry.value === 'p1-a') && delivered.some((entry) => entry.value === 'p0-first'), {
        description: 'the prefix and the other partition',
      });
      expect(delivered.some((entry) => entry.value === 'hold-p0')).toBe(false);
      // The commit follows the handler's answer (the delivery above is recorded inside the handler, before
      // it answers): wait for it rather than read it at once.
      const committed = await waitFor(
        async () => {
          const offsets = await log.committedOffsets(`${PREFIX}-delayed`, A);
          return offsets.get(0) === '1' && offsets.get(1) === '1' ? offsets : undefined;
        },
        { description: 'the prefix of partition 0 and all of partition 1 committed' },
      );
      expect(committed).toEqual(
        new Map([
          [0, '1'],
          [1, '1'],
        ]),
      );
      expect(delivered.some((entry) => entry.value === 'hold-p0')).toBe(false);
      // The other partition is not paused: a new record there is delivered before the held one is due.
      await log.publish(A, [{ partition: 1, value: 'p1-b' }]);
      await waitFor(() => delivered.some((entry) => entry.value === 'p1-b'), { description: 'partition 1 goes on' });
      expect(delivered.some((entry) => entry.value === 'hold-p0')).toBe(false);
      const held = await waitFor(() => delivered.find((entry) => entry.value === 'hold-p0'), { description: 'the held record once due' });
      expect(held.at).toBeGreaterThanOrEqual(dueAt!);
      await waitFor(async () => (await log.committedOffsets(`${PREFIX}-delayed`, A)).get(0) === '2', { description: 'partition 0 committed to its end' });
    });

    it('refuses a handler without a group', async () => {
      @EventLogConsumer()
      class NoGroup {
        @EventPattern(A)
        handle(): Promise<void> {
          return Promise.resolve();
        }
      }
      await expect(start(NoGroup)).rejects.toThrow('must be an @EventPattern with a { group }');
    });
  });
}
