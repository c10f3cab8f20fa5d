/**
 * A geo admin request the server refuses, with its stable code; the one exception filter answers
 * `{error: code, message, ...details}` with `status`.
 */
export class GeoRequestError extends Error {
  readonly retriable = false;

  constructor(
    readonly code: string,
    readonly status: 400 | 404 | 409 | 413 | 422,
    message: string,
    readonly details: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
    this.name = 'GeoRequestError';
  }
}

/** Why a download job failed (`checksum_mismatch`, `maxmind_unauthorized`, …): the job's `error`. */
export class GeoDownloadError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly retriable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'GeoDownloadError';
  }
}
