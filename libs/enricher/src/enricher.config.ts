import { BUILT_IN_POLICIES, DEFAULT_MAX_CLOCK_SKEW_S, ORIGINAL_LIVE_POLICY } from '@telemetry/enrichment';
import { ConfigReader } from '@telemetry/platform';
import { DEFAULT_ENRICHED_FLOWS_PER_MESSAGE } from './ingress-batch.processor';

/** Where the enrichment data comes from (GeoIP/ASN: GeoConfig); unset means no threat list. */
export interface EnricherConfig {
  readonly threatlistCsv?: string;
  /** MAX_CLOCK_SKEW_S: how far an exporter's clock may be off before the receive time dates its flows. */
  readonly maxClockSkewSec?: number;
  /** ENRICHED_FLOWS_PER_MESSAGE: flows per message on telemetry.enriched.v1 (1 = one flow per message, with its key fields as headers). */
  readonly flowsPerMessage?: number;
  /** RISK_POLICY: the built-in scoring policy by name (`original-live` by default, or `confidence-weighted`). */
  readonly riskPolicy?: string;
}

export const ENRICHER_CONFIG = Symbol('ENRICHER_CONFIG');

function riskPolicyName(reader: ConfigReader): string {
  const name = reader.string('RISK_POLICY', ORIGINAL_LIVE_POLICY.name);
  if (!(name in BUILT_IN_POLICIES)) reader.problem(`RISK_POLICY must be one of ${Object.keys(BUILT_IN_POLICIES).join(', ')}, got "${name}"`);
  return name;
}

export function readEnricherConfig(reader: ConfigReader): EnricherConfig {
  return {
    threatlistCsv: reader.string('THREATLIST_CSV'),
    maxClockSkewSec: reader.integer('MAX_CLOCK_SKEW_S', DEFAULT_MAX_CLOCK_SKEW_S, { min: 0 }),
    flowsPerMessage: reader.integer('ENRICHED_FLOWS_PER_MESSAGE', DEFAULT_ENRICHED_FLOWS_PER_MESSAGE, { min: 1, max: 10_000 }),
    riskPolicy: riskPolicyName(reader),
  };
}
