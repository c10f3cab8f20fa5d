import { fork } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { INGRESS_TOPICS, TOPICS } from '@telemetry/contracts';
import { ENRICHER_GROUP } from '@telemetry/enricher';
import { EventLog } from '@telemetry/event-log';
import { Dataset } from './bench-dataset';
import type { EnricherChildCommand, EnricherChildMessage, EnricherChildOptions, EnricherChildReport } from './bench-enricher.child';
import { deleteIsolated, openRenamedKafkaLogDirect } from './bench-kafka';
import { Meter, until } from './bench-meter';
import { BenchSettings, finish, IngestRun, rate, StageResult, sumOffsets } from './bench-stages';

/** A member of the group in its own process (bench-enricher.child.ts), answering over IPC. */
interface EnricherProcess {
  readonly pid: number;
  readonly loadMs: number;
  /** Why the process is gone, once it is. */
  exited(): Error | undefined;
  start(): Promise<void>;
  report(): Promise<EnricherChildReport>;
  close(): Promise<void>;
}

async function startEnricherProcess(options: EnricherChildOptions, deadlineMs: number): Promise<EnricherProcess> {
  const child = fork(path.join(__dirname, 'bench-enricher.child.js'), [JSON.stringify(options)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    execArgv: [],
  });
  const waiting: Array<{ resolve: (message: EnricherChildMessage) => void; reject: (error: Error) => void }> = [];
  let exited: Error | undefined;
  const exit = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.on('message', (message: EnricherChildMessage) => {
    const waiter = waiting.shift();
    if (message.type === 'failed') waiter?.reject(new Error(`enricher process ${child.pid}: ${message.error}`));
    else waiter?.resolve(message);
  });
  child.on('error', (error) => {
    for (const waiter of waiting.splice(0)) waiter.reject(error);
  });
  child.once('exit', (code, signal) => {
    exited = new Error(`enricher process ${child.pid} exited (${signal ?? `code ${code}`})`);
    for (const waiter of waiting.splice(0)) waiter.reject(exited);
  });
  const ask = <T extends EnricherChildMessage['type']>(expected: T, command?: EnricherChildCommand) =>
    new Promise<Extract<EnricherChildMessage, { type: T }>>((resolve, reject) => {
      if (exited) return reject(exited);
      const timer = setTimeout(() => reject(new Error(`enricher process ${child.pid}: no ${expected} within ${deadlineMs} ms`)), deadlineMs);
      waiting.push({
        resolve: (message) => {
          clearTimeout(timer);
          if (message.type === expected) resolve(message as Extract<EnricherChildMessage, { type: T }>);
          else reject(new Error(`enricher process ${child.pid} answered ${message.type}, expected ${expected}`));
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      if (command) child.send(command);
    });
  let ready: Extract<EnricherChildMessage, { type: 'ready' }>;
  try {
    ready = await ask('ready');
  } catch (error) {
    child.kill();
    throw error;
  }
  return {
    pid: child.pid ?? 0,
    loadMs: ready.loadMs,
    exited: () => exited,
    start: async () => void (await ask('started', { type: 'start' })),
    report: async () => {
      const { type: _type, ...report } = await ask('report', { type: 'report' });
      return report;
    },
    close: async () => {
      if (exited) return;
      child.send({ type: 'close' } satisfies EnricherChildCommand);
      const timer = setTimeout(() => child.kill(), 10_000);
      await exit;
      clearTimeout(timer);
    },
  };
}

/** One handled batch of a member: `[start, end, records]`, wall-clock ms. */
export type BatchSpan = readonly [number, number, number];

export interface BusyWindow {
  readonly fromMs: number;
  readonly toMs: number;
  readonly records: number;
  readonly recordsPerSec: number;
}

/**
 * When every member was at work: from the last member's first batch to the first member's last,
 * with the records the group handled in that interval, each batch counted in proportion to its
 * overlap with it. The group's rate once joins and rebalances are over and before a member runs out
 * of partitions; undefined when the members never worked at the same time.
 */
export function allMembersBusy(timelines: ReadonlyArray<readonly BatchSpan[]>): BusyWindow | undefined {
  if (timelines.length === 0 || timelines.some((timeline) => timeline.length === 0)) return undefined;
  const fromMs = Math.max(...timelines.map((timeline) => Math.min(...timeline.map(([start]) => start))));
  const toMs = Math.min(...timelines.map((timeline) => Math.max(...timeline.map(([, end]) => end))));
  if (!(toMs > fromMs)) return undefined;
  let records = 0;
  for (const timeline of timelines) {
    for (const [start, end, count] of timeline) {
      if (end <= start) {
        if (start >= fromMs && start <= toMs) records += count;
        continue;
      }
      const overlap = Math.min(end, toMs) - Math.max(start, fromMs);
      if (overlap > 0) records += (count * overlap) / (end - start);
    }
  }
  return { fromMs, toMs, records, recordsPerSec: rate(records, toMs - fromMs) };
}

/** Messages per `topic[partition]` (contract names, as the members see them) of the ingress topics: their end offsets, the topics being fresh. */
async function ingressMessagesByPartition(log: EventLog): Promise<Record<string, number>> {
  const byPartition: Record<string, number> = {};
  for (const topic of INGRESS_TOPICS) {
    for (const [partition, end] of await log.endOffsets(topic)) byPartition[`${topic}[${partition}]`] = Number(end);
  }
  return byPartition;
}

/**
 * Issue #9's "more cores" lever, measured: the product's IngressConsumer as `members` separate Node
 * processes (bench-enricher.child.ts) in one fresh consumer group, on the topics the ingest stage
 * filled (the same dataset and frames as enrich-log). Timed from the `start` sent to every member
 * (each then subscribes: joins, rebalances included) to the group's committed offsets reaching the
 * end of both ingress topics. records/s is on that wall time; rec/CPU-s on the CPU time of the
 * member processes together (this process only polls offsets); loop busy is their mean.
 */
export async function runEnrichScale(
  source: IngestRun['source'],
  dataset: Dataset,
  settings: BenchSettings,
  members: number,
  enricherEnv: Readonly<Record<string, string>>,
  /** Which of several runs of this count (BENCH_ENRICHERS_ROUNDS), named in the variant and the group. */
  round?: number,
): Promise<StageResult> {
  if (!source.renames) throw new Error('enrich-scale needs the Kafka topics the ingest stage filled');
  const group = `bench-${settings.runId}-enrich-scale-${members}-${round ?? 1}`;
  const topics = source.renames.topics;
  const log = await openRenamedKafkaLogDirect({ topics, groups: { [ENRICHER_GROUP]: group } }, settings.partitions);
  const processes: EnricherProcess[] = [];
  try {
    const byPartition = await ingressMessagesByPartition(log);
    const ingressEnd = Object.values(byPartition).reduce((sum, n) => sum + n, 0);
    const enrichedBefore = await sumOffsets(log.endOffsets(TOPICS.enriched));
    const deadLettersBefore = await sumOffsets(log.endOffsets(TOPICS.ingestDeadLetter));
    const options: EnricherChildOptions = { topics, group, partitions: settings.partitions, enricherEnv };
    // Every member boots (enrichment data, connection) before the clock starts, in parallel.
    processes.push(...(await Promise.all(Array.from({ length: members }, () => startEnricherProcess(options, settings.deadlineMs)))));
    const loadAverage = os.loadavg().map((load) => Math.round(load * 100) / 100);
    const meter = new Meter();
    const startedAtEpochMs = performance.timeOrigin + meter.startedAt;
    await Promise.all(processes.map((member) => member.start()));
    const subscribedAt = performance.now();
    let committed = 0;
    await until(
      async () => {
        // A member that died will not finish: fail now rather than at the deadline.
        const gone = processes.map((member) => member.exited()).find((error) => error !== undefined);
        if (gone) throw gone;
        committed = 0;
        for (const topic of INGRESS_TOPICS) committed += await sumOffsets(log.committedOffsets(ENRICHER_GROUP, topic));
        return committed >= ingressEnd ? true : undefined;
      },
      {
        deadlineMs: settings.deadlineMs,
        intervalMs: 25,
        what: () => `the group to commit the end of the ingress topics (${committed} of ${ingressEnd} messages)`,
      },
    );
    const m = await finish(meter);
    const reports = await Promise.all(processes.map((member) => member.report()));
    const handled = reports.reduce((sum, r) => sum + r.handled, 0);
    const enriched = reports.reduce((sum, r) => sum + r.enriched, 0);
    const deadLetters = (await sumOffsets(log.endOffsets(TOPICS.ingestDeadLetter))) - deadLettersBefore;
    const enrichedMessages = (await sumOffsets(log.endOffsets(TOPICS.enriched))) - enrichedBefore;
    // Partitions more than one member handled: a rebalance moved them while they were being read.
    const shared = Object.keys(byPartition).filter((key) => reports.filter((r) => (r.byPartition[key] ?? 0) > 0).length > 1);
    if (handled !== dataset.recordCount || enriched !== dataset.recordCount || deadLetters !== 0) {
      throw new Error(
        `enrich-scale (${members} processes): ${handled} read, ${enriched} enriched and ${deadLetters} dead letters for ${dataset.recordCount} records` +
          (handled > dataset.recordCount
            ? ` (records read twice: a rebalance; partitions handled by more than one member: ${shared.join(', ') || 'none'})`
            : ''),
      );
    }
    const cpuMs = reports.reduce((sum, r) => sum + r.userMs + r.systemMs, 0);
    const busiest = Math.max(...reports.map((r) => r.handled));
    const firstOf = (r: EnricherChildReport) => Math.min(...r.batchTimeline.map(([start]) => start));
    const lastOf = (r: EnricherChildReport) => Math.max(...r.batchTimeline.map(([, end]) => end));
    const firstBatch = Math.min(...reports.map(firstOf));
    const after = (epoch: number | undefined) => (epoch === undefined || !Number.isFinite(epoch) ? undefined : epoch - startedAtEpochMs);
    const busy = allMembersBusy(reports.map((r) => r.batchTimeline));
    return {
      stage: 'enrich-scale',
      mode: 'kafka',
      variant: `${members} enricher process${members === 1 ? '' : 'es'} in one group (IngressConsumer, event-log transport), geo=${settings.geo}${round === undefined ? '' : `, round ${round}`}`,
      records: dataset.recordCount,
      batchRecords: Math.round(dataset.recordCount / reports.reduce((sum, r) => sum + r.batches, 0)),
      wallMs: m.wallMs,
      recordsPerSec: rate(dataset.recordCount, m.wallMs),
      recordsPerCpuSec: rate(dataset.recordCount, cpuMs),
      eventLoopUtilization: reports.reduce((sum, r) => sum + r.eventLoopUtilization, 0) / reports.length,
      machineBusy: m.machineBusy,
      details: {
        members,
        round: round ?? 1,
        // The neighbours' load on a shared box moves the figures: what it was when this run began.
        loadAverageAtStart: loadAverage,
        group,
        measures: 'start sent to every member → committed offsets at the end of the ingress topics; CPU = the member processes together',
        ingressMessages: ingressEnd,
        ingressMessagesByPartition: byPartition,
        enrichedMessages,
        subscribeMs: subscribedAt - meter.startedAt,
        firstBatchAfterMs: after(firstBatch),
        steadyStateRecordsPerSec: Number.isFinite(firstBatch) ? rate(dataset.recordCount, m.wallMs - (firstBatch - startedAtEpochMs)) : undefined,
        // Every member at work (after the joins, before one ran out of partitions): the group's rate then.
        allMembersBusy: busy && {
          fromMs: after(busy.fromMs),
          toMs: after(busy.toMs),
          records: Math.round(busy.records),
          recordsPerSec: busy.recordsPerSec,
        },
        membersCpuMs: cpuMs,
        // This process's own CPU over the interval (offset polls, IPC): not in rec/CPU-s.
        benchProcessCpuMs: m.processCpuMs,
        // 1 / busiest share: the speed-up the assignment allows at best (partitions are split whole).
        busiestMemberShare: busiest / dataset.recordCount,
        partitionsHandledByMoreThanOneMember: shared,
        perMember: reports.map((r) => ({
          pid: r.pid,
          records: r.handled,
          batches: r.batches,
          byPartition: r.byPartition,
          cpuMs: r.userMs + r.systemMs,
          systemMs: r.systemMs,
          recordsPerCpuSec: rate(r.handled, r.userMs + r.systemMs),
          eventLoopUtilization: r.eventLoopUtilization,
          subscribedAfterMs: after(r.subscribedAtEpochMs),
          firstBatchAfterMs: after(firstOf(r)),
          lastBatchAfterMs: after(lastOf(r)),
          bootMs: processes.find((p) => p.pid === r.pid)?.loadMs,
          rssMb: r.rssMb,
        })),
      },
    };
  } finally {
    await Promise.all(processes.map((member) => member.close().catch(() => undefined)));
    await log.close();
    // The group goes with the run; the topics stay for the ingest stage's cleanup.
    await deleteIsolated({ topics: {}, groups: {} }, [group]).catch(() => undefined);
  }
}
