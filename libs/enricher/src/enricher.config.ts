import { DEFAULT_MAX_CLOCK_SKEW_S } from '@telemetry/enrichment';
import { ConfigReader } from '@telemetry/platform';

/** Where the enrichment data comes from; unset means the data that ships with the dependencies (and no threat list). */
export interface EnricherConfig {
  readonly geoipCity?: string;
  readonly geoipAsn?: string;
  readonly threatlistCsv?: string;
  /** MAX_CLOCK_SKEW_S: how far an exporter's clock may be off before the receive time dates its flows. */
  readonly maxClockSkewSec?: number;
}

export const ENRICHER_CONFIG = Symbol('ENRICHER_CONFIG');

export function readEnricherConfig(reader: ConfigReader): EnricherConfig {
  return {
    geoipCity: reader.string('GEOIP_DB_CITY'),
    geoipAsn: reader.string('GEOIP_DB_ASN'),
    threatlistCsv: reader.string('THREATLIST_CSV'),
    maxClockSkewSec: reader.integer('MAX_CLOCK_SKEW_S', DEFAULT_MAX_CLOCK_SKEW_S, { min: 0 }),
  };
}
