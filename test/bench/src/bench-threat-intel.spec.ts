import { parseCidr, ThreatIntelIndex } from '@telemetry/enrichment';
import { generateFlowStream, generateIndicators, indicatorCounts } from './bench-threat-intel';
import { threatIntelRatios, threatIntelTable } from './bench-report';

describe('generateIndicators (the threat-intel stage dataset)', () => {
  const classOf = (indicator: string): string => {
    const network = parseCidr(indicator);
    if (network === null) throw new Error(`not a network: ${indicator}`);
    if (network.family === 4) return network.prefixLength === 32 || network.prefixLength === 24 ? `v4 /${network.prefixLength}` : 'v4 /12-/16';
    return `v6 /${network.prefixLength}`;
  };

  it('is the same list for the same seed, and another for another seed', () => {
    expect(generateIndicators(42, 5_000)).toEqual(generateIndicators(42, 5_000));
    expect(generateIndicators(43, 5_000)).not.toEqual(generateIndicators(42, 5_000));
  });

  it('has the family and prefix mix: mostly IPv4 hosts, some /24 and /12-/16 networks, a few percent IPv6 /128 and /48', () => {
    const indicators = generateIndicators(42, 100_000);
    const counts: Record<string, number> = {};
    for (const { indicator } of indicators) counts[classOf(indicator)] = (counts[classOf(indicator)] ?? 0) + 1;
    expect(counts).toEqual({ 'v4 /32': 88_900, 'v4 /24': 6_000, 'v4 /12-/16': 100, 'v6 /128': 4_000, 'v6 /48': 1_000 });
    expect(indicatorCounts(100_000)).toEqual(counts);
    const wide = indicators.map((i) => parseCidr(i.indicator)!).filter((n) => n.family === 4 && n.prefixLength < 24);
    expect(wide.every((n) => n.prefixLength >= 12 && n.prefixLength <= 16)).toBe(true);
    // Shuffled, not in blocks of one class.
    expect(new Set(indicators.slice(0, 1_000).map((i) => classOf(i.indicator))).size).toBeGreaterThan(2);
    // Confidence in range, as the index requires.
    expect(indicators.every((i) => i.confidence >= 20 && i.confidence <= 100)).toBe(true);
  });

  it('has N distinct networks, each with host bits clear, that the index loads as N entries', () => {
    for (const count of [1, 1_000, 20_000]) {
      const indicators = generateIndicators(7, count);
      expect(indicators).toHaveLength(count);
      expect(new Set(indicators.map((i) => parseCidr(i.indicator)!.text)).size).toBe(count);
      expect(indicators.every((i) => !i.indicator.includes('/') || parseCidr(i.indicator)!.text === i.indicator)).toBe(true);
      expect(new ThreatIntelIndex(indicators).size).toBe(count);
    }
  });
});

describe('generateFlowStream (the match stream)', () => {
  const indicators = generateIndicators(42, 10_000);
  const index = new ThreatIntelIndex(indicators);
  const stream = () =>
    generateFlowStream({ seed: 42, flows: 20_000, hitShare: 0.01, indicators, isListed: (ip) => index.match({ srcIp: ip, dstIp: '' }).length > 0 });

  it('is deterministic for a seed, and exactly the hit share of its flows match', () => {
    const { flows, hits } = stream();
    expect(stream().flows).toEqual(flows);
    expect(hits).toBe(200);
    expect(flows.filter((flow) => index.match(flow).length > 0)).toHaveLength(200);
  });

  it('has both families, each flow one family at both ends', () => {
    const { flows } = stream();
    const v6 = flows.filter((flow) => flow.srcIp.includes(':'));
    expect(v6.every((flow) => flow.dstIp.includes(':'))).toBe(true);
    expect(v6.length / flows.length).toBeGreaterThan(0.08);
    expect(v6.length / flows.length).toBeLessThan(0.12);
  });
});

describe('threatIntelTable', () => {
  it('puts each count against the smallest one', () => {
    const point = (prefixes: number, lookupsPerCpuSec: number) => ({ prefixes, loadS: 1, indicatorsPerSec: 1, heapUsedMb: 1, indexMb: 1, lookupsPerCpuSec });
    expect(threatIntelRatios([point(1_000_000, 500), point(1_000, 1_000)]).map((row) => row.ratio)).toEqual([1, 0.5]);
    expect(threatIntelTable([point(1_000, 1_000), point(1_000_000, 500)]).split('\n')[0]).toMatch(/ratio vs 1k /);
  });
});
