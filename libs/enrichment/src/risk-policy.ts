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
  sensitivePort: 'sensitive_port',
  largeUploadFromEphemeralPort: 'large_upload_from_ephemeral_port',
  clamped: 'clamped',
} as const;

/** The rules a policy may use, as data; {@link createRiskPolicy} is their one evaluator. */
export type RiskRule =
  | { readonly kind: 'threat_intel_match'; readonly points: number }
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

/** `name@version`, as written to `risk_policy`, e.g. `original-live@1`. */
export function policyLabel(policy: Pick<RiskPolicy, 'name' | 'version'>): string {
  return `${policy.name}@${policy.version}`;
}
