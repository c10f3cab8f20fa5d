import { enrichedFlowsOf } from './bench-latency';
import { targetRatio, targetsTable } from './bench-report';

describe('enrichedFlowsOf (the enriched-topic frame contract)', () => {
  const flow = (n: number) => ({ event_id: `e${n}`, collector_id: `lat-run-${n}` });

  it('reads a message without a content-type header as one JSON flow', () => {
    expect(enrichedFlowsOf({ value: Buffer.from(JSON.stringify(flow(1))), headers: {} })).toEqual([flow(1)]);
  });

  it('reads an application/x-ndjson message as one flow per line, with or without a trailing newline', () => {
    const lines = [flow(1), flow(2), flow(3)].map((f) => JSON.stringify(f)).join('\n');
    const headers = { 'content-type': Buffer.from('application/x-ndjson') };
    expect(enrichedFlowsOf({ value: Buffer.from(`${lines}\n`), headers })).toEqual([flow(1), flow(2), flow(3)]);
    expect(enrichedFlowsOf({ value: Buffer.from(lines), headers: { 'content-type': 'application/x-ndjson' } })).toEqual([flow(1), flow(2), flow(3)]);
  });

  it('reads a message of another content type as one flow', () => {
    expect(enrichedFlowsOf({ value: Buffer.from(JSON.stringify(flow(4))), headers: { 'content-type': Buffer.from('application/json') } })).toEqual([flow(4)]);
  });

  it('fails loudly on a line that is not JSON', () => {
    expect(() => enrichedFlowsOf({ value: Buffer.from('{"a":1}\nnot json\n'), headers: { 'content-type': 'application/x-ndjson' } })).toThrow(SyntaxError);
  });
});

describe('targets, higher and lower is better', () => {
  const row = (table: string, name: string) => table.split('\n').find((line) => line.startsWith(name)) ?? '';

  it('orients the ratio so that ≥ 1 is met in both directions', () => {
    expect(targetRatio({ name: 'x', measuredBy: 'y', unit: 'rec/s', target: 100, measured: 50 })).toBe(0.5);
    expect(targetRatio({ name: 'x', measuredBy: 'y', unit: 'ms', target: 500, better: 'lower', measured: 250 })).toBe(2);
    expect(targetRatio({ name: 'x', measuredBy: 'y', unit: 'ms', target: 500, better: 'lower', measured: 1000 })).toBe(0.5);
    expect(targetRatio({ name: 'x', measuredBy: 'y', unit: 'ms', target: 500, better: 'lower' })).toBeUndefined();
  });

  it('prints met, over and short, and never met for a figure whose run did not hold its conditions', () => {
    const table = targetsTable([
      { name: 'fast enough', measuredBy: 'a', unit: 'ms', target: 500, better: 'lower', measured: 200 },
      { name: 'too slow', measuredBy: 'a', unit: 'ms', target: 500, better: 'lower', measured: 1000 },
      { name: 'not kept up', measuredBy: 'a', unit: 'ms', target: 500, better: 'lower', measured: 200, invalid: 'rate not sustained' },
      { name: 'ratio kept', measuredBy: 'a', unit: 'ratio', target: 1.15, better: 'lower', measured: 1.02 },
      { name: 'throughput', measuredBy: 'a', unit: 'rec/s', target: 20_000, measured: 10_000 },
    ]);
    expect(row(table, 'fast enough')).toMatch(/≤ 500\s+2\.50\s+met$/);
    expect(row(table, 'too slow')).toMatch(/1,000\s+≤ 500\s+0\.50\s+2\.0x over$/);
    expect(row(table, 'not kept up')).toMatch(/not met: rate not sustained$/);
    expect(row(table, 'ratio kept')).toMatch(/1\.02\s+≤ 1\.15\s+1\.13\s+met$/);
    expect(row(table, 'throughput')).toMatch(/10,000\s+20,000\s+0\.50\s+2\.0x short$/);
  });
});
