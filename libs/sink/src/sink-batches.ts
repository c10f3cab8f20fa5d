import type { SinkItem } from './exporter.port';

export interface BatchLimits {
  readonly maxRecords: number;
  /** Payload bytes per destination request (before compression). */
  readonly maxBytes: number;
  /** How long a record may wait for a request to fill up before it is sent anyway (0: never waits). */
  readonly maxWaitMs?: number;
}

/** Splits items into destination requests of at most maxRecords and maxBytes (one oversized item goes alone). */
export function splitIntoBatches(items: readonly SinkItem[], limits: BatchLimits): SinkItem[][] {
  const batches: SinkItem[][] = [];
  let current: SinkItem[] = [];
  let bytes = 0;
  for (const item of items) {
    const size = Buffer.byteLength(item.payload);
    if (current.length > 0 && (current.length >= limits.maxRecords || bytes + size > limits.maxBytes)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}
