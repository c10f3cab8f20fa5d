/** Why a record went to a dead-letter topic. Codes are stable: users filter and alert on them. */
export const DEAD_LETTER_CODES = {
  invalidJson: 'invalid_json',
  invalidRecord: 'invalid_record',
  unknownTopic: 'unknown_topic',
  enrichmentFailed: 'enrichment_failed',
} as const;

export type DeadLetterCode = (typeof DEAD_LETTER_CODES)[keyof typeof DEAD_LETTER_CODES];
