import { InvalidRiskPolicyError } from './enrichment.errors';
import { normalize } from './normalize';
import {
  BUILT_IN_POLICIES,
  CONFIDENCE_WEIGHTED_POLICY,
  CONFIDENCE_WEIGHTED_POLICY_DEFINITION,
  createRiskPolicy,
  ORIGINAL_LIVE_POLICY,
  ORIGINAL_LIVE_POLICY_DEFINITION,
  policyLabel,
  type RiskAssessment,
} from './risk-policy';
import { aFlowRecord, anIndicator, anIngressContext, aNormalizedFlow, aThreatMatch, aZeekConn } from './testing/flow-builders';
import { ThreatIntelIndex } from './threat-intel';

/**
 * The original product's live scorer test vectors (tests/test_risk_scoring.py), one spec per
 * scenario, run through the same path as production: normalize → threat-intel match → policy.
 */
const THREAT_IP = '45.155.205.233';
const threatIntel = new ThreatIntelIndex([anIndicator({ indicator: THREAT_IP, category: 'C2', confidence: 85, source: 'threats.csv' })]);

function score(format: 'zeek.conn' | 'flows.v1', record: Record<string, unknown>): RiskAssessment {
  const result = normalize(format, record, anIngressContext());
  if (!result.ok) throw new Error(JSON.stringify(result.error));
  return ORIGINAL_LIVE_POLICY.evaluate({ flow: result.flow, threatMatches: threatIntel.match(result.flow) });
}

const codes = (assessment: RiskAssessment): string[] => assessment.reasons.map((r) => r.code);

describe('original-live@1 scoring scenarios', () => {
  it('plain event → 10', () => {
    const result = score('flows.v1', aFlowRecord({ srcPort: 443, dstPort: 51000, bytes: 1500 }));
    expect(result.score).toBe(10);
    expect(result.reasons).toEqual([{ code: 'base', points: 10, detail: 'base score' }]);
  });

  it('threat-intel match → 70', () => {
    const result = score('flows.v1', aFlowRecord({ dstIp: THREAT_IP, srcPort: 443, dstPort: 8443 }));
    expect(result.score).toBe(70);
    expect(codes(result)).toEqual(['base', 'threat_intel_match']);
    const detail = result.reasons[1].detail;
    expect(detail).toContain(THREAT_IP);
    expect(detail).toContain('C2');
    expect(detail).toContain('threats.csv');
  });

  it('dst 445 → 20', () => {
    const result = score('flows.v1', aFlowRecord({ srcPort: 80, dstPort: 445 }));
    expect(result.score).toBe(20);
    expect(result.reasons[1]).toEqual({ code: 'sensitive_port', points: 10, detail: 'destination port 445' });
  });

  it('src 5000 + 2,000,000 bytes → 20', () => {
    const result = score('flows.v1', aFlowRecord({ srcPort: 5000, dstPort: 443, bytes: 2_000_000 }));
    expect(result.score).toBe(20);
    expect(codes(result)).toEqual(['base', 'large_upload_from_ephemeral_port']);
    expect(result.reasons[1].detail).toContain('5000');
  });

  it('3389 + src 5000 + 2 MB + threat intel → 90', () => {
    const result = score('flows.v1', aFlowRecord({ dstIp: THREAT_IP, srcPort: 5000, dstPort: 3389, bytes: 2_000_000 }));
    expect(result.score).toBe(90);
    expect(codes(result)).toEqual(['base', 'threat_intel_match', 'sensitive_port', 'large_upload_from_ephemeral_port']);
  });

  it('Zeek underscore keys, dst 445, orig_bytes 2 MB with no orig port, threat intel → 80', () => {
    const record = aZeekConn({ spelling: 'underscore', dstIp: THREAT_IP, dstPort: 445, srcPort: null, origBytes: 2_000_000, respBytes: null });
    const result = score('zeek.conn', record);
    // No source port means not ephemeral, so the upload rule does not fire: 10 + 60 + 10.
    expect(result.score).toBe(80);
    expect(codes(result)).toEqual(['base', 'threat_intel_match', 'sensitive_port']);
  });
});

describe('original-live@1 rule edges', () => {
  const evaluate = (overrides: Parameters<typeof aNormalizedFlow>[0], matches = 0) =>
    ORIGINAL_LIVE_POLICY.evaluate({ flow: aNormalizedFlow(overrides), threatMatches: Array.from({ length: matches }, () => aThreatMatch()) });

  it.each([
    ['exactly 1,000,000 bytes is not more than the threshold', { srcPort: 5000, bytes: 1_000_000, origBytes: null }, 10],
    ['orig bytes alone over the threshold', { srcPort: 5000, bytes: 10, origBytes: 1_000_001 }, 20],
    ['port 1023 is not ephemeral', { srcPort: 1023, bytes: 5_000_000 }, 10],
    ['port 1024 is ephemeral', { srcPort: 1024, bytes: 5_000_000 }, 20],
    ['no byte counts at all', { srcPort: 5000, bytes: null, origBytes: null }, 10],
    ['dst 3389', { dstPort: 3389 }, 20],
    ['src 445 is not a sensitive destination', { srcPort: 445, dstPort: 50000 }, 10],
  ])('%s → %d', (_label, overrides, expected) => {
    expect(evaluate(overrides).score).toBe(expected);
  });

  it('counts several matches once and names each indicator', () => {
    const result = ORIGINAL_LIVE_POLICY.evaluate({
      flow: aNormalizedFlow(),
      threatMatches: [aThreatMatch({ field: 'src_ip', ip: '1.2.3.4', indicator: '1.2.3.0/24' }), aThreatMatch()],
    });
    expect(result.score).toBe(70);
    expect(result.reasons[1].detail).toContain('1.2.3.0/24');
    expect(result.reasons[1].detail).toContain('45.155.205.233');
  });

  it('the points of the reasons add up to the score', () => {
    const result = evaluate({ srcPort: 5000, dstPort: 3389, bytes: 2_000_000 }, 2);
    expect(result.reasons.reduce((sum, r) => sum + r.points, 0)).toBe(result.score);
  });
});

describe('createRiskPolicy', () => {
  it('clamps and says so with a reason whose points bring the sum back to the score', () => {
    const policy = createRiskPolicy({ ...ORIGINAL_LIVE_POLICY_DEFINITION, name: 'loud', version: 2, rules: [{ kind: 'threat_intel_match', points: 200 }] });
    const result = policy.evaluate({ flow: aNormalizedFlow(), threatMatches: [aThreatMatch()] });
    expect(result.score).toBe(100);
    expect(result.reasons.at(-1)).toEqual({ code: 'clamped', points: -110, detail: 'score 210 clamped to 0..100' });
  });

  it('clamps at the bottom too', () => {
    const policy = createRiskPolicy({
      name: 'negative',
      version: 1,
      base: 0,
      min: 0,
      max: 100,
      rules: [{ kind: 'sensitive_port', points: -30, dstPorts: [443] }],
    });
    const result = policy.evaluate({ flow: aNormalizedFlow({ dstPort: 443 }), threatMatches: [] });
    expect(result.score).toBe(0);
    expect(result.reasons.map((r) => [r.code, r.points])).toEqual([
      ['base', 0],
      ['sensitive_port', -30],
      ['clamped', 30],
    ]);
  });

  it('refuses non-integer points', () => {
    expect(() => createRiskPolicy({ ...ORIGINAL_LIVE_POLICY_DEFINITION, base: 10.5 })).toThrow(InvalidRiskPolicyError);
  });

  it('labels a policy name@version', () => {
    expect(policyLabel(ORIGINAL_LIVE_POLICY)).toBe('original-live@1');
  });
});

describe('confidence-weighted@1 scoring scenarios', () => {
  const evaluate = (matches: Array<{ category: string; confidence: number }>, flow: Partial<{ srcPort: number; dstPort: number }> = {}) =>
    CONFIDENCE_WEIGHTED_POLICY.evaluate({
      flow: aNormalizedFlow({ srcPort: 443, dstPort: 8443, ...flow }),
      threatMatches: matches.map((match, index) => aThreatMatch({ ...match, indicator: `198.51.100.${index}` })),
    });

  it.each([
    ['no match', [], 10],
    ['a 95-confidence botnet C2 (weight 1): round(70 × 0.95) = 67', [{ category: 'botnet_cc', confidence: 95 }], 77],
    ['a 100-confidence C2, any case of the category name', [{ category: 'C2', confidence: 100 }], 80],
    ['a 90-confidence hijacked netblock (weight 0.8): round(70 × 0.9 × 0.8) = 50', [{ category: 'hijacked', confidence: 90 }], 60],
    ['a 30-confidence Tor exit (weight 0.3): round(70 × 0.3 × 0.3) = 6', [{ category: 'tor', confidence: 30 }], 16],
    ['an unlisted category at 50 (default weight 0.7): round(70 × 0.5 × 0.7) = 25', [{ category: 'suspicious', confidence: 50 }], 35],
    [
      'several matches: the strongest counts, once',
      [
        { category: 'spam', confidence: 100 },
        { category: 'malware', confidence: 60 },
      ],
      52,
    ],
  ])('%s → %d', (_, matches, expected) => {
    const result = evaluate(matches as Array<{ category: string; confidence: number }>);
    expect(result.score).toBe(expected);
    expect(result.reasons.reduce((sum, reason) => sum + reason.points, 0)).toBe(expected);
  });

  it('keeps the original port and volume rules, and names the match that scored', () => {
    const result = evaluate([{ category: 'malware', confidence: 80 }], { dstPort: 3389 });
    expect(result.score).toBe(10 + 56 + 10);
    expect(result.reasons.map((reason) => reason.code)).toEqual(['base', 'weighted_threat_intel_match', 'sensitive_port']);
    expect(result.reasons[1].detail).toContain('scored by the strongest: 198.51.100.0 (malware, confidence 80)');
    expect(policyLabel(CONFIDENCE_WEIGHTED_POLICY)).toBe('confidence-weighted@1');
    expect(Object.keys(BUILT_IN_POLICIES)).toEqual(['original-live', 'confidence-weighted']);
  });

  it('refuses a category weight outside 0..1', () => {
    expect(() =>
      createRiskPolicy({
        ...CONFIDENCE_WEIGHTED_POLICY_DEFINITION,
        rules: [{ kind: 'weighted_threat_intel_match', points: 70, categoryWeights: { c2: 2 }, defaultWeight: 0.5 }],
      }),
    ).toThrow(InvalidRiskPolicyError);
  });
});
