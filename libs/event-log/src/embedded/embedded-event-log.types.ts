/** Where the embedded log reports handler failures, truncated tails and background errors. */
export interface EmbeddedEventLogLogger {
  warn(message: string): void;
}
