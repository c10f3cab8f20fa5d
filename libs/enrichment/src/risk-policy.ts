import type { NormalizedFlow, RiskReason, ThreatMatch } from '@telemetry/contracts';
import { InvalidRiskPolicyError } from './enrichment.errors';
import { isEphemeralPort } from './ip-address';

/** What a policy scores: the flow's ports and byte counts, and the threat-intel matches found for it. */
export interface RiskInput {
  readonly flow: Pick<NormalizedFlow, 'srcPort' | 'dstPort' | 'bytes' | 'origBytes'>;
  readonly threatMatches: readonly ThreatMatch[];
}

export interface RiskAssessment {
  /** Integer within the policy's bounds. */
  readonly score: number;
  /** One per rule that fired, in rule order; the points add up to the score. */
  readonly reasons: RiskReason[];
}

export interface RiskPolicy {
  readonly name: string;
  readonly version: number;
  evaluate(input: RiskInput): RiskAssessment;
}

/** Reason codes are stable: dashboards and alerts filter on them. */
export const RISK_REASON_CODES = {
  base: 'base',
  threatIntelMatch: 'threat_intel_match',
  weightedThreatIntelMatch: 'weighted_threat_intel_match',
  sensitivePort: 'sensitive_port',
  largeUploadFromEphemeralPort: 'large_upload_from_ephemeral_port',
  clamped: 'clamped',
} as const;

/** The rules a policy may use, as data; {@link createRiskPolicy} is their one evaluator. */
export type RiskRule =
  | { readonly kind: 'threat_intel_match'; readonly points: number }
  | {
      readonly kind: 'weighted_threat_intel_match';
      /** Points of a match at confidence 100 in a category of weight 1. */
      readonly points: number;
      /** Weight per category (lowercase), 0..1; categories not listed weigh `defaultWeight`. */
      readonly categoryWeights: Readonly<Record<string, number>>;
      readonly defaultWeight: number;
    }
  | { readonly kind: 'sensitive_port'; readonly points: number; readonly dstPorts: readonly number[] }
  | {
      readonly kind: 'large_upload_from_ephemeral_port';
      readonly points: number;
      /** Fires when orig bytes or total bytes strictly exceed this. */
      readonly thresholdBytes: number;
    };

/**
 * A scoring policy as data. A change of rules or points is a new version, so every enriched flow
 * says (in `risk_policy`) exactly which rules produced its score.
 */
export interface RiskPolicyDefinition {
  readonly name: string;
  readonly version: number;
  readonly base: number;
  readonly min: number;
  readonly max: number;
  readonly rules: readonly RiskRule[];
}

/**
 * The original product's live scorer (`app/enrich/risk.py`): base 10; +60 on any threat-intel
 * match; +10 for dst port 445 or 3389; +10 when the source port is ephemeral (≥ 1024) and the
 * originator sent, or the flow carried, more than 1,000,000 bytes; clamped to 0..100.
 */
export const ORIGINAL_LIVE_POLICY_DEFINITION: RiskPolicyDefinition = {
  name: 'original-live',
  version: 1,
  base: 10,
  min: 0,
  max: 100,
  rules: [
    { kind: 'threat_intel_match', points: 60 },
    { kind: 'sensitive_port', points: 10, dstPorts: [445, 3389] },
    { kind: 'large_upload_from_ephemeral_port', points: 10, thresholdBytes: 1_000_000 },
  ],
};

/**
 * The second built-in policy: a threat-intel match is worth what its indicator is worth,
 * `round(70 × confidence / 100 × category weight)` for the strongest match, so a 95-confidence
 * botnet C2 scores near the original's +60/+70 while a 30-confidence Tor exit barely moves the score.
 * The port and volume rules are the original's. Weights: command and control, botnets and malware
 * 1.0; exploits, hijacked netblocks (Spamhaus DROP) and phishing 0.8; scanners and brute force
 * 0.6; spam 0.4; Tor and proxies 0.3; any other category 0.7.
 */
export const CONFIDENCE_WEIGHTED_POLICY_DEFINITION: RiskPolicyDefinition = {
  name: 'confidence-weighted',
  version: 1,
  base: 10,
  min: 0,
  max: 100,
  rules: [
    {
      kind: 'weighted_threat_intel_match',
      points: 70,
      categoryWeights: {
        c2: 1,
        botnet_cc: 1,
        botnet: 1,
        malware: 1,
        exploit: 0.8,
        hijacked: 0.8,
        phishing: 0.8,
        scanner: 0.6,
        bruteforce: 0.6,
        spam: 0.4,
        tor: 0.3,
        proxy: 0.3,
      },
      defaultWeight: 0.7,
    },
    { kind: 'sensitive_port', points: 10, dstPorts: [445, 3389] },
    { kind: 'large_upload_from_ephemeral_port', points: 10, thresholdBytes: 1_000_000 },
  ],
};

function describeMatches(matches: readonly ThreatMatch[]): string {
  const seen = new Set<string>();
  const parts: string[] = [];
  for (const m of matches) {
    const part = `${m.field} ${m.ip} in ${m.indicator} (${m.category}, confidence ${m.confidence}, source ${m.source})`;
    if (!seen.has(part)) {
      seen.add(part);
      parts.push(part);
    }
  }
  return `threat-intel match: ${parts.join('; ')}`;
}

function applyRule(rule: RiskRule, input: RiskInput): RiskReason | null {
  switch (rule.kind) {
    case 'threat_intel_match':
      if (input.threatMatches.length === 0) return null;
      return { code: RISK_REASON_CODES.threatIntelMatch, points: rule.points, detail: describeMatches(input.threatMatches) };
    case 'weighted_threat_intel_match': {
      let best: { points: number; match: ThreatMatch } | null = null;
      for (const match of input.threatMatches) {
        const weight = rule.categoryWeights[match.category.toLowerCase()] ?? rule.defaultWeight;
        const points = Math.round((rule.points * match.confidence * weight) / 100);
        if (best === null || points > best.points) best = { points, match };
      }
      if (best === null) return null;
      const { match } = best;
      return {
        code: RISK_REASON_CODES.weightedThreatIntelMatch,
        points: best.points,
        detail: `${describeMatches(input.threatMatches)}; scored by the strongest: ${match.indicator} (${match.category}, confidence ${match.confidence})`,
      };
    }
    case 'sensitive_port': {
      const port = input.flow.dstPort;
      if (port === null || !rule.dstPorts.includes(port)) return null;
      return { code: RISK_REASON_CODES.sensitivePort, points: rule.points, detail: `destination port ${port}` };
    }
    case 'large_upload_from_ephemeral_port': {
      const { srcPort, origBytes, bytes } = input.flow;
      if (!isEphemeralPort(srcPort)) return null;
      const overOrig = origBytes !== null && origBytes > rule.thresholdBytes;
      const overTotal = bytes !== null && bytes > rule.thresholdBytes;
      if (!overOrig && !overTotal) return null;
      const which = overOrig ? `originator sent ${origBytes} bytes` : `flow carried ${bytes} bytes`;
      return {
        code: RISK_REASON_CODES.largeUploadFromEphemeralPort,
        points: rule.points,
        detail: `${which} (> ${rule.thresholdBytes}) from ephemeral source port ${srcPort}`,
      };
    }
  }
}

/**
 * The one evaluator: turns a policy definition into a {@link RiskPolicy}. Points and bounds must be
 * integers (the enriched schema's `risk_score` is an integer and reasons must add up to it).
 */
export function createRiskPolicy(definition: RiskPolicyDefinition): RiskPolicy {
  const { name, version, base, min, max, rules } = definition;
  const numbers = [version, base, min, max, ...rules.map((r) => r.points)];
  if (!numbers.every(Number.isInteger) || min > max) {
    throw new InvalidRiskPolicyError(`${name}@${version}`, 'version, base, bounds and points must be integers, min <= max');
  }
  for (const rule of rules) {
    if (rule.kind !== 'weighted_threat_intel_match') continue;
    const weights = [rule.defaultWeight, ...Object.values(rule.categoryWeights)];
    if (!weights.every((weight) => weight >= 0 && weight <= 1)) throw new InvalidRiskPolicyError(`${name}@${version}`, 'category weights must be within 0..1');
  }
  return {
    name,
    version,
    evaluate(input: RiskInput): RiskAssessment {
      const reasons: RiskReason[] = [{ code: RISK_REASON_CODES.base, points: base, detail: 'base score' }];
      let raw = base;
      for (const rule of rules) {
        const reason = applyRule(rule, input);
        if (reason !== null) {
          reasons.push(reason);
          raw += reason.points;
        }
      }
      const score = Math.min(max, Math.max(min, raw));
      if (score !== raw) {
        reasons.push({ code: RISK_REASON_CODES.clamped, points: score - raw, detail: `score ${raw} clamped to ${min}..${max}` });
      }
      return { score, reasons };
    },
  };
}

export const ORIGINAL_LIVE_POLICY: RiskPolicy = createRiskPolicy(ORIGINAL_LIVE_POLICY_DEFINITION);
export const CONFIDENCE_WEIGHTED_POLICY: RiskPolicy = createRiskPolicy(CONFIDENCE_WEIGHTED_POLICY_DEFINITION);

/** The built-in policies by name (RISK_POLICY); `original-live` is the default. */
export const BUILT_IN_POLICIES: Readonly<Record<string, RiskPolicy>> = {
  [ORIGINAL_LIVE_POLICY.name]: ORIGINAL_LIVE_POLICY,
  [CONFIDENCE_WEIGHTED_POLICY.name]: CONFIDENCE_WEIGHTED_POLICY,
};

/** `name@version`, as written to `risk_policy`, e.g. `original-live@1`. */
export function policyLabel(policy: Pick<RiskPolicy, 'name' | 'version'>): string {
  return `${policy.name}@${policy.version}`;
}
