import type { StageResult } from './bench-stages';

/** One target the product is held to: what is measured, the figure it must reach, and what was measured in this run. */
export interface Target {
  readonly name: string;
  readonly measuredBy: string;
  /** e.g. `rec/CPU-s`, `rec/s`, `share of the JSON floor`. */
  readonly unit: string;
  readonly target: number;
  /** 'higher' (default): met when measured ≥ target, e.g. rec/CPU-s; 'lower': met when measured ≤ target, e.g. a latency. */
  readonly better?: 'higher' | 'lower';
  /** Undefined: not measured in this run (the stage was not run, or the bench does not measure it yet). */
  readonly measured?: number;
  /** Set when the figure was measured but the run did not meet its conditions (e.g. the rate was not sustained): never "met". */
  readonly invalid?: string;
}

/**
 * How far the measured figure is from the target, oriented so that ≥ 1 is met in both
 * directions: measured / target when higher is better, target / measured when lower is better.
 */
export function targetRatio(target: Target): number | undefined {
  if (target.measured === undefined) return undefined;
  if (target.better === 'lower') return target.measured > 0 ? target.target / target.measured : Infinity;
  return target.measured / target.target;
}

export interface Failure {
  readonly stage: string;
  readonly mode: string;
  readonly error: string;
}

function n(value: number | undefined, digits = 0): string {
  if (value === undefined || !Number.isFinite(value)) return '-';
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function pct(value: number | undefined): string {
  return value === undefined || !Number.isFinite(value) ? '-' : `${Math.round(value * 100)}%`;
}

function table(headers: readonly string[], rows: ReadonlyArray<readonly string[]>, alignLeft: number): string {
  const widths = headers.map((header, i) => Math.max(header.length, ...rows.map((row) => row[i].length)));
  const line = (cells: readonly string[]) => cells.map((cell, i) => (i < alignLeft ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ');
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

const STAGE_LABEL: Record<StageResult['stage'], string> = {
  auth: 'auth per request',
  admin: 'admin → key usable',
  'threat-intel': 'threat-intel match',
  floor: 'floor',
  e2e: 'end to end',
  latency: 'latency',
  soak: 'soak',
  ingest: '(a) HTTP ingest',
  'enrich-core': '(b) enricher core',
  'enrich-log': '(c) enrich on log',
  'enrich-scale': "(c') enricher procs",
  projection: '(d) projection',
  sink: '(e) sink',
};

export function resultsTable(results: readonly StageResult[]): string {
  const headers = ['stage', 'mode', 'records', 'batch', 'wall s', 'records/s', 'MB/s gz', 'MB/s raw', 'rec/CPU-s', 'loop busy', 'GC', 'machine', 'variant'];
  const rows = results.map((r) => [
    STAGE_LABEL[r.stage],
    r.mode,
    n(r.records),
    n(r.batchRecords),
    n(r.wallMs / 1000, 2),
    n(r.recordsPerSec),
    n(r.mbPerSecCompressed, 1),
    n(r.mbPerSecInflated, 1),
    n(r.recordsPerCpuSec),
    pct(r.eventLoopUtilization),
    pct(r.gcShare),
    pct(r.machineBusy),
    r.variant,
  ]);
  return table(headers, rows, 2).replace(/ +$/gm, '');
}

/**
 * Every stage against the floors of the same run, per CPU-second of this process: the JSON floor for
 * all, the raw client floor for the stages that consume and produce through Kafka.
 */
export function floorsTable(results: readonly StageResult[], floors: { json?: StageResult; client?: StageResult }): string {
  const json = floors.json?.recordsPerCpuSec;
  const client = floors.client?.recordsPerCpuSec;
  const rows = results
    .filter((r) => r.stage !== 'floor')
    .map((r) => [
      STAGE_LABEL[r.stage],
      r.mode,
      n(r.recordsPerCpuSec),
      json && r.recordsPerCpuSec ? pct(r.recordsPerCpuSec / json) : '-',
      client && r.recordsPerCpuSec && r.mode === 'kafka' ? pct(r.recordsPerCpuSec / client) : '-',
      r.variant,
    ]);
  return table(['stage', 'mode', 'rec/CPU-s', 'of JSON floor', 'of client floor', 'variant'], rows, 2).replace(/ +$/gm, '');
}

/** One run of the enrich-scale stage: the group's members (processes) and what they did together. */
export interface ScalingPoint {
  readonly members: number;
  readonly recordsPerSec: number;
  readonly recordsPerCpuSec?: number;
  /** The share of the records the busiest member handled (1 for one member). */
  readonly busiestMemberShare?: number;
  /** The group's records/s while every member was at work (joins and rebalances over). */
  readonly allBusyRecordsPerSec?: number;
}

export interface ScalingRow extends ScalingPoint {
  /** records/s over the base run's (the fewest members, normally 1). */
  readonly wallScaling: number;
  /** What perfect scaling would give: members / the base run's members. */
  readonly ideal: number;
  /** allBusyRecordsPerSec over the base run's. */
  readonly allBusyScaling?: number;
  /** rec/CPU-s over the base run's: below 1, each record costs more CPU with more members. */
  readonly cpuScaling?: number;
  /** The speed-up the partition split allows at best (1 / busiest share), against one member doing it all. */
  readonly splitAllows?: number;
}

function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Several runs of the same member count (BENCH_ENRICHERS_ROUNDS) as one: the median of each figure, and how many runs. */
export function medianByMembers(points: readonly ScalingPoint[]): Array<ScalingPoint & { readonly runs: number }> {
  const byMembers = new Map<number, ScalingPoint[]>();
  for (const point of points) byMembers.set(point.members, [...(byMembers.get(point.members) ?? []), point]);
  const of = (list: readonly ScalingPoint[], pick: (point: ScalingPoint) => number | undefined) =>
    median(list.map(pick).filter((value): value is number => value !== undefined));
  return [...byMembers].map(([members, list]) => ({
    members,
    runs: list.length,
    recordsPerSec: of(list, (point) => point.recordsPerSec) ?? NaN,
    recordsPerCpuSec: of(list, (point) => point.recordsPerCpuSec),
    busiestMemberShare: of(list, (point) => point.busiestMemberShare),
    allBusyRecordsPerSec: of(list, (point) => point.allBusyRecordsPerSec),
  }));
}

/** Each run against the one with the fewest members (N=1 when it was run), in order of members. */
export function scalingRows(points: readonly ScalingPoint[]): ScalingRow[] {
  const sorted = [...points].sort((a, b) => a.members - b.members);
  const base = sorted[0];
  if (!base) return [];
  return sorted.map((point) => ({
    ...point,
    wallScaling: base.recordsPerSec > 0 ? point.recordsPerSec / base.recordsPerSec : NaN,
    ideal: point.members / base.members,
    allBusyScaling: point.allBusyRecordsPerSec !== undefined && base.allBusyRecordsPerSec ? point.allBusyRecordsPerSec / base.allBusyRecordsPerSec : undefined,
    cpuScaling: point.recordsPerCpuSec !== undefined && base.recordsPerCpuSec ? point.recordsPerCpuSec / base.recordsPerCpuSec : undefined,
    splitAllows: point.busiestMemberShare ? 1 / point.busiestMemberShare : undefined,
  }));
}

/**
 * The enrich-scale runs side by side: records/s and rec/CPU-s per member count (the median of its
 * runs), and the scaling against the fewest members.
 */
export function scalingTable(points: readonly ScalingPoint[]): string {
  const runs = new Map(medianByMembers(points).map((point) => [point.members, point.runs]));
  const rows = scalingRows(medianByMembers(points));
  const base = rows[0]?.members ?? 1;
  return table(
    [
      'processes',
      'runs',
      'records/s',
      'rec/CPU-s (all members)',
      `records/s vs N=${base}`,
      'ideal',
      'rec/s all busy',
      `all busy vs N=${base}`,
      `rec/CPU-s vs N=${base}`,
      'busiest member',
      'split allows',
    ],
    rows.map((row) => [
      String(row.members),
      String(runs.get(row.members) ?? 1),
      n(row.recordsPerSec),
      n(row.recordsPerCpuSec),
      `${n(row.wallScaling, 2)}x`,
      `${n(row.ideal, 0)}x`,
      n(row.allBusyRecordsPerSec),
      row.allBusyScaling === undefined ? '-' : `${n(row.allBusyScaling, 2)}x`,
      row.cpuScaling === undefined ? '-' : `${n(row.cpuScaling, 2)}x`,
      pct(row.busiestMemberShare),
      row.splitAllows === undefined ? '-' : `${n(row.splitAllows, 2)}x`,
    ]),
    1,
  );
}

/** One indicator count of the threat-intel stage. */
export interface ThreatIntelPoint {
  readonly prefixes: number;
  readonly loadS: number;
  readonly indicatorsPerSec: number;
  readonly heapUsedMb: number;
  /** The index's own memory: its heap objects and the trie's typed arrays. */
  readonly indexMb: number;
  readonly lookupsPerCpuSec?: number;
  /** The same indicators as one feed through the control plane: the decider's diff, and the fold (JSON round trip, state, live matcher). */
  readonly decideS?: number;
  readonly foldS?: number;
}

/** lookups/CPU-s of each indicator count over the smallest count's: 1 is flat, below 1 each lookup costs more. */
export function threatIntelRatios(points: readonly ThreatIntelPoint[]): Array<ThreatIntelPoint & { readonly ratio?: number }> {
  const sorted = [...points].sort((a, b) => a.prefixes - b.prefixes);
  const base = sorted[0]?.lookupsPerCpuSec;
  return sorted.map((point) => ({ ...point, ratio: base && point.lookupsPerCpuSec !== undefined ? point.lookupsPerCpuSec / base : undefined }));
}

export function threatIntelTable(points: readonly ThreatIntelPoint[]): string {
  const rows = threatIntelRatios(points);
  const base = rows[0]?.prefixes;
  const baseLabel = base === undefined ? '' : base % 1000 === 0 && base < 1_000_000 ? `${base / 1000}k` : n(base);
  return table(
    ['prefixes', 'load s', 'indicators/s', 'heap MB', 'index MB', 'lookups/CPU-s', `ratio vs ${baseLabel}`, 'feed decide s', 'feed fold s'],
    rows.map((row) => [
      n(row.prefixes),
      n(row.loadS, 2),
      n(row.indicatorsPerSec),
      n(row.heapUsedMb, 1),
      n(row.indexMb, 1),
      n(row.lookupsPerCpuSec),
      row.ratio === undefined ? '-' : n(row.ratio, 2),
      row.decideS === undefined ? '-' : n(row.decideS, 2),
      row.foldS === undefined ? '-' : n(row.foldS, 2),
    ]),
    0,
  );
}

export function breakdownTable(breakdown: Record<string, number>): string {
  const total = breakdown['processIngressBatch total'];
  const rows = Object.entries(breakdown).map(([step, us]) => [step, n(us, 2), total ? pct(us / total) : '-']);
  return table(['step (geo=default)', 'µs/record', 'share'], rows, 1);
}

export function targetsTable(targets: readonly Target[]): string {
  const value = (target: Target, v: number | undefined) =>
    v === undefined ? 'not measured' : target.unit.startsWith('share') ? pct(v) : Math.abs(v) < 10 ? n(v, 2) : n(v);
  const rows = targets.map((target) => {
    const ratio = targetRatio(target);
    const shortBy = ratio === undefined || ratio >= 1 ? '' : `${n(1 / ratio, 1 / ratio < 1.1 ? 2 : 1)}x ${target.better === 'lower' ? 'over' : 'short'}`;
    const verdict = ratio === undefined ? '-' : target.invalid ? `not met: ${target.invalid}` : ratio >= 1 ? 'met' : shortBy;
    return [
      target.name,
      target.measuredBy,
      target.unit,
      value(target, target.measured),
      `${target.better === 'lower' ? '≤ ' : ''}${value(target, target.target)}`,
      ratio === undefined || !Number.isFinite(ratio) ? '-' : n(ratio, 2),
      verdict,
    ];
  });
  return table(['target', 'measured by', 'unit', 'measured', 'target', 'ratio', ''], rows, 3);
}

/** The soak's per-process RSS and per-group lag, as the soak stage reports them in its details. */
export function soakTable(details: Record<string, unknown>): string {
  const processes = (details.processes ?? []) as Array<{ name: string; pids: string; firstMb?: number; endMb?: number; ratio?: number }>;
  const groups = (details.lag ?? []) as Array<{
    name: string;
    unit: string;
    max: number;
    median: number;
    end: number;
    endOverMedian: number;
    growthPerSec: number;
    grew: boolean;
  }>;
  const rss = table(
    ['process', 'pids', `RSS MB at ${String(details.rssFirstAtS)} s`, `RSS MB at ${String(details.rssEndAtS)} s`, 'end / first', 'within 15%'],
    processes.map((p) => [p.name, p.pids, n(p.firstMb, 1), n(p.endMb, 1), n(p.ratio, 3), p.ratio === undefined ? '-' : p.ratio <= 1.15 ? 'yes' : 'no']),
    2,
  );
  const lag = table(
    ['consumer group', 'unit', 'max lag', 'median lag', 'end lag', 'end / median', 'trend /s', 'bounded (≤ 2, no growth)'],
    groups.map((g) => [
      g.name,
      g.unit,
      n(g.max),
      n(g.median),
      n(g.end),
      n(g.endOverMedian, 2),
      n(Math.round(g.growthPerSec) || 0),
      g.endOverMedian <= 2 && !g.grew ? 'yes' : g.grew ? 'no: grows' : 'no',
    ]),
    2,
  );
  return `${rss}\n\n${lag}`;
}

export function failuresText(failures: readonly Failure[]): string {
  return failures.map((failure) => `  FAILED ${failure.stage} (${failure.mode}): ${failure.error}`).join('\n');
}
