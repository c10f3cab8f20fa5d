import type { StageResult } from './bench-stages';

export interface Target {
  readonly name: string;
  readonly recordsPerSec: number;
  readonly measuredBy: string;
  readonly result?: StageResult;
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

export function breakdownTable(breakdown: Record<string, number>): string {
  const total = breakdown['processIngressBatch total'];
  const rows = Object.entries(breakdown).map(([step, us]) => [step, n(us, 2), total ? pct(us / total) : '-']);
  return table(['step (geo=default)', 'µs/record', 'share'], rows, 1);
}

export function targetsTable(targets: readonly Target[]): string {
  const rows = targets.map((target) => {
    const r = target.result;
    const wall = r?.recordsPerSec;
    const perCpu = r?.recordsPerCpuSec;
    const gap = (value: number | undefined) =>
      value === undefined ? 'not measured' : value >= target.recordsPerSec ? 'met' : `${n(target.recordsPerSec / value, 1)}x short`;
    return [target.name, n(target.recordsPerSec), target.measuredBy, n(wall), gap(wall), n(perCpu), gap(perCpu)];
  });
  return table(['target', 'records/s', 'measured by', 'wall rec/s', 'gap (wall)', 'rec/CPU-s', 'gap (per CPU-s)'], rows, 1);
}

export function failuresText(failures: readonly Failure[]): string {
  return failures.map((failure) => `  FAILED ${failure.stage} (${failure.mode}): ${failure.error}`).join('\n');
}
