import type { StageResult } from './bench-stages';

/** One target the product is held to: what is measured, the figure it must reach, and what was measured in this run. */
export interface Target {
  readonly name: string;
  readonly measuredBy: string;
  /** e.g. `rec/CPU-s`, `rec/s`, `share of the JSON floor`. */
  readonly unit: string;
  readonly target: number;
  /** Undefined: not measured in this run (the stage was not run, or the bench does not measure it yet). */
  readonly measured?: number;
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
  floor: 'floor',
  e2e: 'end to end',
  ingest: '(a) HTTP ingest',
  'enrich-core': '(b) enricher core',
  'enrich-log': '(c) enrich on log',
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

export function breakdownTable(breakdown: Record<string, number>): string {
  const total = breakdown['processIngressBatch total'];
  const rows = Object.entries(breakdown).map(([step, us]) => [step, n(us, 2), total ? pct(us / total) : '-']);
  return table(['step (geo=default)', 'µs/record', 'share'], rows, 1);
}

export function targetsTable(targets: readonly Target[]): string {
  const value = (target: Target, v: number | undefined) => (v === undefined ? 'not measured' : target.unit.startsWith('share') ? pct(v) : n(v));
  const rows = targets.map((target) => {
    const ratio = target.measured === undefined ? undefined : target.measured / target.target;
    const verdict = ratio === undefined ? '-' : ratio >= 1 ? 'met' : `${n(1 / ratio, 1)}x short`;
    return [
      target.name,
      target.measuredBy,
      target.unit,
      value(target, target.measured),
      value(target, target.target),
      ratio === undefined ? '-' : n(ratio, 2),
      verdict,
    ];
  });
  return table(['target', 'measured by', 'unit', 'measured', 'target', 'ratio', ''], rows, 3);
}

export function failuresText(failures: readonly Failure[]): string {
  return failures.map((failure) => `  FAILED ${failure.stage} (${failure.mode}): ${failure.error}`).join('\n');
}
