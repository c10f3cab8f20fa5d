/**
 * Typed, coded errors of the enrichment core. `retriable` is false for all of them: they describe
 * bad input or configuration, which retrying cannot fix. The adapter classifies them once.
 */
export abstract class EnrichmentError extends Error {
  abstract readonly code: string;
  readonly retriable: boolean = false;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A network that is not `address` or `address/prefix` with a prefix in range for its family. */
export class InvalidCidrError extends EnrichmentError {
  readonly code = 'invalid_cidr';

  constructor(readonly input: unknown) {
    super(`invalid IP address or CIDR: ${JSON.stringify(input)}`);
  }
}

/** A threat-intel indicator whose fields are unusable (bad network, confidence outside 0-100…). */
export class InvalidIndicatorError extends EnrichmentError {
  readonly code = 'invalid_indicator';

  constructor(
    readonly input: unknown,
    reason: string,
  ) {
    super(`invalid indicator ${JSON.stringify(input)}: ${reason}`);
  }
}

/** A data file (ASN table, GeoIP database) that cannot be loaded. */
export class GeoDataError extends EnrichmentError {
  readonly code = 'geo_data_invalid';

  constructor(
    readonly source: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`${source}: ${reason}`, options);
  }
}

/** A risk policy definition the evaluator cannot apply. */
export class InvalidRiskPolicyError extends EnrichmentError {
  readonly code = 'invalid_risk_policy';

  constructor(
    readonly policy: string,
    reason: string,
  ) {
    super(`risk policy ${policy}: ${reason}`);
  }
}

/** Feed parser options a caller got wrong (an unknown format, a confidence outside 0-100…). */
export class InvalidFeedOptionsError extends EnrichmentError {
  readonly code = 'invalid_feed_options';

  constructor(reason: string) {
    super(`feed options: ${reason}`);
  }
}
