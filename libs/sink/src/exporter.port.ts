import type { LogRecord } from '@telemetry/event-log';

/** One enriched flow on its way to a destination. */
export interface SinkItem {
  /** The enriched flow's event id: destinations that allow it write idempotently by it. */
  readonly eventId: string;
  readonly tenantId: string;
  /** The enriched flow as JSON text, exactly as on telemetry.enriched.v1. */
  readonly payload: string;
  /** Epoch seconds of the flow (for destination timestamps and date-based index names). */
  readonly ts: number;
  /** Where it was read from (the main topic or a retry topic), with its headers. */
  readonly source: LogRecord;
}

export type ItemOutcome =
  | { readonly kind: 'delivered' }
  | { readonly kind: 'retriable'; readonly errorClass: string; readonly message: string; readonly retryAfterMs?: number }
  | { readonly kind: 'permanent'; readonly errorClass: string; readonly message: string };

/**
 * A destination. `export` answers one outcome per item, in order: delivered, retriable (429,
 * 5xx, timeouts: try again later) or permanent (the destination will never take it). It throws
 * only SinkConfigurationError (credentials or URL are wrong: nothing can be delivered until an
 * operator acts).
 */
export interface Exporter {
  readonly name: string;
  export(items: readonly SinkItem[]): Promise<ItemOutcome[]>;
  /** Destination health for /v1/health-style checks and metrics. */
  health(): Promise<{ ok: boolean; detail: string }>;
  shutdown(): Promise<void>;
}

/**
 * The destination refuses the sink's credentials or configuration (401/403, unknown index…). The
 * sink pauses, raises a metric and a log, and retries the same batch later: it never drops data.
 */
export class SinkConfigurationError extends Error {
  readonly code = 'sink_configuration';
  constructor(
    message: string,
    readonly errorClass: string,
  ) {
    super(message);
    this.name = 'SinkConfigurationError';
  }
}
