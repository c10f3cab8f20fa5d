import { allMembersBusy, BatchSpan } from './bench-enrich-scale';
import { medianByMembers, scalingRows } from './bench-report';

describe('allMembersBusy (the interval every member of the group was at work)', () => {
  it('is one member from its first batch to its last, every record counted', () => {
    const member: BatchSpan[] = [
      [1_000, 1_500, 5_000],
      [1_500, 2_000, 5_000],
    ];
    expect(allMembersBusy([member])).toEqual({ fromMs: 1_000, toMs: 2_000, records: 10_000, recordsPerSec: 10_000 });
  });

  it("runs from the last member's first batch to the first member's last, batches counted by their overlap", () => {
    // The first member works alone until the second joins at 2,000 ms; the second goes on after the first is done at 4,000 ms.
    const first: BatchSpan[] = [
      [0, 2_000, 20_000],
      [2_000, 4_000, 10_000],
    ];
    const second: BatchSpan[] = [
      [2_000, 3_000, 5_000],
      [3_000, 5_000, 10_000],
    ];
    const busy = allMembersBusy([first, second]);
    // 10,000 of the first's second batch, 5,000 and half of 10,000 of the second's.
    expect(busy).toEqual({ fromMs: 2_000, toMs: 4_000, records: 20_000, recordsPerSec: 10_000 });
  });

  it('is undefined when the members never worked at the same time, or one never worked', () => {
    expect(allMembersBusy([[[0, 1_000, 100]], [[2_000, 3_000, 100]]])).toBeUndefined();
    expect(allMembersBusy([[[0, 1_000, 100]], []])).toBeUndefined();
    expect(allMembersBusy([])).toBeUndefined();
  });
});

describe('scalingRows (the enrich-scale runs against the fewest members)', () => {
  it('divides each run by the base run, whatever the order they come in', () => {
    const rows = scalingRows([
      { members: 2, recordsPerSec: 18_000, recordsPerCpuSec: 12_000, busiestMemberShare: 0.6, allBusyRecordsPerSec: 20_000 },
      { members: 1, recordsPerSec: 12_000, recordsPerCpuSec: 15_000, busiestMemberShare: 1, allBusyRecordsPerSec: 12_500 },
    ]);
    expect(rows.map((row) => row.members)).toEqual([1, 2]);
    expect(rows[0]).toMatchObject({ wallScaling: 1, ideal: 1, cpuScaling: 1, allBusyScaling: 1, splitAllows: 1 });
    expect(rows[1].wallScaling).toBeCloseTo(1.5);
    expect(rows[1].ideal).toBe(2);
    expect(rows[1].cpuScaling).toBeCloseTo(0.8);
    expect(rows[1].allBusyScaling).toBeCloseTo(1.6);
    expect(rows[1].splitAllows).toBeCloseTo(1 / 0.6);
  });

  it('leaves out what a run did not measure', () => {
    const [row] = scalingRows([{ members: 2, recordsPerSec: 1_000 }]);
    expect(row).toMatchObject({ wallScaling: 1, ideal: 1 });
    expect(row.cpuScaling).toBeUndefined();
    expect(row.allBusyScaling).toBeUndefined();
    expect(row.splitAllows).toBeUndefined();
  });
});

describe('medianByMembers (rounds of the same member count as one)', () => {
  it('takes the median of each figure per member count, leaving out runs that did not measure it', () => {
    const merged = medianByMembers([
      { members: 1, recordsPerSec: 9_000, recordsPerCpuSec: 13_000, allBusyRecordsPerSec: 9_200 },
      { members: 2, recordsPerSec: 14_000, recordsPerCpuSec: 15_000, busiestMemberShare: 1 },
      { members: 1, recordsPerSec: 15_000, recordsPerCpuSec: 15_000, allBusyRecordsPerSec: 15_500 },
      { members: 2, recordsPerSec: 18_000, recordsPerCpuSec: 13_000, busiestMemberShare: 0.5, allBusyRecordsPerSec: 19_000 },
      { members: 1, recordsPerSec: 11_000, recordsPerCpuSec: 14_000, allBusyRecordsPerSec: 11_800 },
    ]);
    expect(merged).toEqual([
      { members: 1, runs: 3, recordsPerSec: 11_000, recordsPerCpuSec: 14_000, busiestMemberShare: undefined, allBusyRecordsPerSec: 11_800 },
      { members: 2, runs: 2, recordsPerSec: 16_000, recordsPerCpuSec: 14_000, busiestMemberShare: 0.75, allBusyRecordsPerSec: 19_000 },
    ]);
  });
});
