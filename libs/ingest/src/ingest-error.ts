/**
 * A body-level ingest failure with a stable code. The HTTP adapter maps it to a status; libs never
 * throw HTTP exceptions.
 */
export class IngestError extends Error {
  constructor(
    readonly code:
      | 'invalid_json'
      | 'bad_batch_shape'
      | 'invalid_encoding'
      | 'decompress_failed'
      | 'unsupported_media_type'
      | 'batch_too_large'
      | 'too_many_records'
      | 'unknown_format'
      | 'format_mismatch'
      | 'invalid_idempotency_key'
      | 'idempotency_key_reused'
      | 'idempotency_key_in_progress'
      | 'empty_batch'
      | 'request_timeout'
      | 'invalid_header',
    message: string,
    readonly details: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
    this.name = 'IngestError';
  }

  /** The status class of this error for request/response adapters (400, 408, 409, 413 or 415). */
  get status(): number {
    return INGEST_ERROR_STATUS[this.code];
  }
}

export const INGEST_ERROR_STATUS: Readonly<Record<IngestError['code'], number>> = {
  invalid_json: 400,
  bad_batch_shape: 400,
  invalid_encoding: 400,
  decompress_failed: 400,
  unknown_format: 400,
  format_mismatch: 400,
  invalid_idempotency_key: 400,
  idempotency_key_reused: 409,
  idempotency_key_in_progress: 409,
  empty_batch: 400,
  unsupported_media_type: 415,
  batch_too_large: 413,
  too_many_records: 413,
  request_timeout: 408,
  invalid_header: 400,
};
