/**
 * The one rule for tenant and collector identifiers, wherever they enter: REST bodies and headers,
 * the admin plane, and the `tenant-id` / `collector-id` headers of direct Kafka producers. The read
 * models store them in `varchar(128)` columns, so a longer one could never be written; a control
 * character (a line break, a NUL) would end up in headers, logs and CSV exports.
 */
export const IDENTIFIER_MAX_LENGTH = 128;

/**
 * Any characters but control characters (C0 and DEL). Kept as wide as what the REST edge has
 * accepted for `collector_id` (a non-empty string of at most 128 characters), so nothing it accepts
 * is refused later.
 */
export const IDENTIFIER_PATTERN = /^[^\u0000-\u001f\u007f]+$/;

/** Why `value` is not a valid identifier (the message names `field`), or null when it is one. */
export function identifierProblem(value: unknown, field: string): string | null {
  if (typeof value !== 'string' || value.length === 0) return `${field} must be a non-empty string`;
  if (value.length > IDENTIFIER_MAX_LENGTH) return `${field} must be at most ${IDENTIFIER_MAX_LENGTH} characters, got ${value.length}`;
  if (!IDENTIFIER_PATTERN.test(value)) return `${field} must not contain control characters, got ${JSON.stringify(value.slice(0, 40))}`;
  return null;
}
