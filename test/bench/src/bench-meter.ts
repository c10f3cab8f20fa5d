import * as os from 'node:os';
import { performance, PerformanceObserver, type EventLoopUtilization } from 'node:perf_hooks';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';

export interface Measurement {
  readonly wallMs: number;
  /** CPU time of this process (all threads: JS, libuv pool for zlib/fs, GC), user + system. */
  readonly processCpuMs: number;
  /** Busy share of the main thread's event loop: ~1 means JavaScript on one core is the limit. */
  readonly eventLoopUtilization: number;
  /** Busy share of the whole machine (every core, every process, Kafka and Postgres included). */
  readonly machineBusy: number;
  /** CPU time of every process on the machine (all cores, broker and database included), ms. */
  readonly machineCpuMs: number;
  /** Main-thread garbage-collection pauses in the interval (PerformanceObserver 'gc' entries). */
  readonly gcMs: number;
}

/** GC pauses as [start, end] in performance.now() time; entries arrive asynchronously, after the pause. */
const gcPauses: Array<[number, number]> = [];
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) gcPauses.push([entry.startTime, entry.startTime + entry.duration]);
}).observe({ entryTypes: ['gc'] });

function gcWithin(from: number, to: number): number {
  let total = 0;
  for (const [start, end] of gcPauses) total += Math.max(0, Math.min(end, to) - Math.max(start, from));
  return total;
}

/** Lets pending GC entries reach the observer: they are queued after the pause and delivered a tick or two later. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
}

let fullGc: (() => void) | undefined;
/**
 * A full collection between stages, so a stage does not pay for the garbage of the previous one
 * (`npm run bench` starts node without --expose-gc, hence the flag set at run time).
 */
export function collectGarbage(): void {
  if (!fullGc) {
    v8.setFlagsFromString('--expose-gc');
    fullGc = vm.runInNewContext('gc') as () => void;
  }
  fullGc();
}

function machineTimes(): { busy: number; total: number } {
  let busy = 0;
  let total = 0;
  for (const cpu of os.cpus()) {
    const { user, nice, sys, idle, irq } = cpu.times;
    busy += user + nice + sys + irq;
    total += user + nice + sys + idle + irq;
  }
  return { busy, total };
}

/** Wall clock, process CPU, event-loop utilization and machine load over one measured interval. */
export class Meter {
  private readonly startWall = performance.now();
  private readonly startCpu = process.cpuUsage();
  private readonly startElu: EventLoopUtilization = performance.eventLoopUtilization();
  private readonly startMachine = machineTimes();

  get startedAt(): number {
    return this.startWall;
  }

  /** Ends the interval at `endWall` (default now); call after `await settle()` to count GC pauses of sync work. */
  stop(endWall = performance.now()): Measurement {
    const cpu = process.cpuUsage(this.startCpu);
    const elu = performance.eventLoopUtilization(this.startElu);
    const machine = machineTimes();
    const total = machine.total - this.startMachine.total;
    return {
      wallMs: endWall - this.startWall,
      processCpuMs: (cpu.user + cpu.system) / 1000,
      eventLoopUtilization: elu.utilization,
      machineBusy: total > 0 ? (machine.busy - this.startMachine.busy) / total : 0,
      machineCpuMs: machine.busy - this.startMachine.busy,
      gcMs: gcWithin(this.startWall, endWall),
    };
  }
}

/** Polls `probe` until it returns a value, or throws when the deadline passes (no sleeps as assertions). */
export async function until<T>(
  probe: () => Promise<T | undefined> | T | undefined,
  options: { deadlineMs: number; intervalMs: number; what: () => string },
): Promise<T> {
  const deadline = performance.now() + options.deadlineMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (performance.now() > deadline) throw new Error(`deadline of ${options.deadlineMs} ms passed: ${options.what()}`);
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs));
  }
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
