export interface IngestLimits {
  /** Bytes on the wire, compressed or not. */
  readonly maxBodyBytes: number;
  /** Bytes after inflating a gzip body: a gzip bomb stops here instead of filling memory. */
  readonly maxInflatedBytes: number;
  readonly maxRecords: number;
}

export const DEFAULT_INGEST_LIMITS: IngestLimits = {
  maxBodyBytes: 5 * 1024 * 1024,
  maxInflatedBytes: 5 * 1024 * 1024,
  maxRecords: 10_000,
};
