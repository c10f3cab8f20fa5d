import * as fs from 'node:fs/promises';
import { Logger, Provider } from '@nestjs/common';
import {
  AsnRangeTable,
  AsnSource,
  CombinedGeoLookup,
  embeddedAsnCsvPaths,
  embeddedDbipCityPaths,
  EnrichDependencies,
  GeoLookup,
  Indicator,
  MaxmindAsnSource,
  MaxmindCitySource,
  BUILT_IN_POLICIES,
  ORIGINAL_LIVE_POLICY,
  parseThreatCsv,
  ThreatIntelIndex,
} from '@telemetry/enrichment';
import { ENRICHER_CONFIG, EnricherConfig } from './enricher.config';
import { ControlPlaneService } from '@telemetry/control';
import { LiveThreatIntel } from './live-threat-intel';
import { tenantRiskPolicy } from './tenant-risk-policy';

export const ENRICH_DEPENDENCIES = Symbol('ENRICH_DEPENDENCIES');

const logger = new Logger('enrichment');

/**
 * GeoIP/ASN: GEOIP_DB_CITY / GEOIP_DB_ASN point at MaxMind files in production; without them the
 * embedded defaults that ship with the dependencies are used (DB-IP Lite city mmdb, and the
 * ip-location-db ASN ranges, both CC BY 4.0).
 */
export async function loadGeoLookup(config: EnricherConfig): Promise<GeoLookup> {
  const cityPaths = config.geoipCity ? [config.geoipCity] : embeddedDbipCityPaths();
  const city = new MaxmindCitySource(await Promise.all(cityPaths.map(async (path) => ({ name: path, buffer: await fs.readFile(path) }))));
  let asn: AsnSource;
  if (config.geoipAsn) {
    asn = new MaxmindAsnSource({ name: config.geoipAsn, buffer: await fs.readFile(config.geoipAsn) });
  } else {
    asn = await AsnRangeTable.fromFiles(embeddedAsnCsvPaths());
  }
  const lookup = new CombinedGeoLookup(city, asn);
  const described = lookup.describe();
  logger.log(`GeoIP city: ${described.city}; ASN: ${described.asn}`);
  return lookup;
}

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
    inject: [ENRICHER_CONFIG, LiveThreatIntel, ControlPlaneService],
    useFactory: async (config: EnricherConfig, threatIntel: LiveThreatIntel, control: ControlPlaneService): Promise<EnrichDependencies> => {
      const geo = await loadGeoLookup(config);
      const policy = BUILT_IN_POLICIES[config.riskPolicy ?? ORIGINAL_LIVE_POLICY.name] ?? ORIGINAL_LIVE_POLICY;
      return { geo, threatIntel, policy, policyOf: tenantRiskPolicy(control, policy) };
    },
  },
];
