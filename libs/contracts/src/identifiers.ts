/**
 * The one rule for tenant and collector identifiers, wherever they enter: REST bodies and headers,
 * the admin plane, and the `tenant-id` / `collector-id` headers of direct Kafka producers. The read
 * models store them in `varchar(128)` columns, so a longer one could never be written.
 */
export const IDENTIFIER_MAX_LENGTH = 128;

/** Letters, digits and `.`, `_`, `:`, `@`, `-`; starting with a letter or digit. */
export const IDENTIFIER_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:@-]*$/;

/** Why `value` is not a valid identifier (the message names `field`), or null when it is one. */
export function identifierProblem(value: unknown, field: string): string | null {
  if (typeof value !== 'string' || value.length === 0) return `${field} must be a non-empty string`;
  if (value.length > IDENTIFIER_MAX_LENGTH) return `${field} must be at most ${IDENTIFIER_MAX_LENGTH} characters, got ${value.length}`;
  if (!IDENTIFIER_PATTERN.test(value)) {
    return `${field} must start with a letter or digit and contain only letters, digits, '.', '_', ':', '@' and '-', got ${JSON.stringify(value.slice(0, 40))}`;
  }
  return null;
}
