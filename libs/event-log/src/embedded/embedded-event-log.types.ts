/** Where the embedded log reports handler failures, truncated tails, corruption and background errors. */
export interface EmbeddedEventLogLogger {
  warn(message: string): void;
  /** Data damage (a skipped corrupt frame, a committed offset past the log's end); `warn` when absent. */
  error?(message: string): void;
}

export function logError(logger: EmbeddedEventLogLogger, message: string): void {
  if (logger.error) logger.error(message);
  else logger.warn(message);
}
