import * as fs from 'node:fs/promises';
import { Logger, Provider } from '@nestjs/common';
import { EnrichDependencies, GeoLookup, BUILT_IN_POLICIES, Indicator, ORIGINAL_LIVE_POLICY, parseThreatCsv, ThreatIntelIndex } from '@telemetry/enrichment';
import { ControlPlaneService } from '@telemetry/control';
import { ENRICHER_CONFIG, EnricherConfig } from './enricher.config';
import { GEO_LOOKUP } from './geo/geo.tokens';
import { LiveThreatIntel } from './live-threat-intel';
import { tenantRiskPolicy } from './tenant-risk-policy';

export const ENRICH_DEPENDENCIES = Symbol('ENRICH_DEPENDENCIES');

const logger = new Logger('enrichment');

/** Threat intel from THREATLIST_CSV (`ip_or_cidr,category,confidence`); bad lines are reported, not fatal. */
export async function loadThreatIntel(config: EnricherConfig): Promise<ThreatIntelIndex> {
  return new ThreatIntelIndex(await loadThreatlistCsv(config));
}

/** The indicators of THREATLIST_CSV (none when unset). */
export async function loadThreatlistCsv(config: Pick<EnricherConfig, 'threatlistCsv'>): Promise<Indicator[]> {
  const file = config.threatlistCsv;
  if (!file) {
    logger.log('threat intel: no THREATLIST_CSV configured; indicators come from the API and feeds only');
    return [];
  }
  const { indicators, errors } = parseThreatCsv(await fs.readFile(file, 'utf8'), file.split('/').pop() ?? file);
  for (const error of errors.slice(0, 20)) logger.warn(`${file}:${error.line}: ${error.message}`);
  if (errors.length > 20) logger.warn(`${file}: ${errors.length - 20} more invalid lines`);
  logger.log(`threat intel: ${indicators.length} indicators from ${file}`);
  return indicators;
}

export const enrichmentProviders: Provider[] = [
  {
    provide: ENRICH_DEPENDENCIES,
    // GeoIP/ASN: the process's live lookup (GeoModule), which reloads the databases when their files change.
    inject: [ENRICHER_CONFIG, GEO_LOOKUP, LiveThreatIntel, ControlPlaneService],
    useFactory: (config: EnricherConfig, geo: GeoLookup, threatIntel: LiveThreatIntel, control: ControlPlaneService): EnrichDependencies => {
      const policy = BUILT_IN_POLICIES[config.riskPolicy ?? ORIGINAL_LIVE_POLICY.name] ?? ORIGINAL_LIVE_POLICY;
      return { geo, threatIntel, policy, policyOf: tenantRiskPolicy(control, policy) };
    },
  },
];
