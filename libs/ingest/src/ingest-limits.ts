export interface IngestLimits {
  /** Bytes on the wire, compressed or not. */
  readonly maxBodyBytes: number;
  /** Bytes after inflating a gzip body: a gzip bomb stops here instead of filling memory. */
  readonly maxInflatedBytes: number;
  readonly maxRecords: number;
  /**
   * The longest pause between two body chunks; a stalled body is refused with 408 `request_timeout`
   * instead of holding the request open. Unset: no idle limit (the HTTP server's request timeout still applies).
   */
  readonly bodyIdleTimeoutMs?: number;
}

export const DEFAULT_INGEST_LIMITS: IngestLimits = {
  maxBodyBytes: 5 * 1024 * 1024,
  maxInflatedBytes: 5 * 1024 * 1024,
  maxRecords: 10_000,
};
