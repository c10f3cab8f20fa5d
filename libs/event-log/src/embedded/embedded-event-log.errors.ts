export type EmbeddedEventLogErrorCode =
  'unknown_topic' | 'invalid_topic' | 'invalid_partition' | 'invalid_subscription' | 'group_already_subscribed' | 'log_corrupted' | 'data_dir_locked';

/**
 * A permanent error of the embedded event log (bad input or corrupt data). Transient conditions
 * (log closed, disk failure) surface as the port's retriable `EventLogUnavailableError`.
 */
export class EmbeddedEventLogError extends Error {
  readonly retriable = false;
  constructor(
    readonly code: EmbeddedEventLogErrorCode,
    message: string,
    override readonly cause?: unknown,
  ) {
    super(message);
    this.name = 'EmbeddedEventLogError';
  }
}
