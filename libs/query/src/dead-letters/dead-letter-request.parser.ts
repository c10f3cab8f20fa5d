import type { DeadLetterCursor, DeadLetterQueueName } from '@telemetry/persistence';

export const DEAD_LETTER_SINKS: readonly DeadLetterQueueName[] = ['splunk', 'elastic', 'ingest'];
export const LIST_DEFAULT_LIMIT = 50;
export const LIST_MAX_LIMIT = 500;
export const REPLAY_DEFAULT_LIMIT = 1_000;
export const REPLAY_MAX_LIMIT = 10_000;
export const EXPORT_DEFAULT_LIMIT = 1_000;
export const EXPORT_MAX_LIMIT = 10_000;

/** Bad input to the DLQ and export endpoints; the app's filter answers `{error: code, message, ...details}`. */
export class DeadLetterRequestError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number = 400,
    readonly details: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
    this.name = 'DeadLetterRequestError';
  }
}

export function parseSink(raw: string): DeadLetterQueueName {
  if (!(DEAD_LETTER_SINKS as readonly string[]).includes(raw)) {
    throw new DeadLetterRequestError('not_found', `No dead-letter queue "${raw}"; there are ${DEAD_LETTER_SINKS.join(', ')}`, 404, { sink: raw });
  }
  return raw as DeadLetterQueueName;
}

export function parseLimit(raw: unknown, fallback: number, max: number, field = 'limit'): number {
  if (raw === undefined || raw === null || raw === '') return fallback;
  const value = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\d+$/.test(raw.trim()) ? Number(raw) : NaN;
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new DeadLetterRequestError('invalid_parameter', `${field} must be an integer from 1 to ${max}`, 400, { field, value: raw });
  }
  return value;
}

/** Cursors are opaque to clients: base64url of the last entry's position. */
export function encodeCursor(cursor: DeadLetterCursor): string {
  return Buffer.from(JSON.stringify([cursor.failedAt, cursor.id]), 'utf8').toString('base64url');
}

export function parseCursor(raw: string | undefined): DeadLetterCursor | undefined {
  if (raw === undefined || raw === '') return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === 2 && typeof value[0] === 'string' && /^\d{1,20}$/.test(value[0]) && typeof value[1] === 'string') {
      return { failedAt: value[0], id: value[1] };
    }
  } catch {
    // fall through to the error
  }
  throw new DeadLetterRequestError('invalid_parameter', 'cursor is not one this API returned (pass next_cursor unchanged)', 400, { field: 'cursor' });
}

export function parseErrorClass(raw: unknown, field = 'error_class'): string | undefined {
  if (raw === undefined || raw === null || raw === '') return undefined;
  if (typeof raw !== 'string' || raw.length > 128) {
    throw new DeadLetterRequestError('invalid_parameter', `${field} must be a string of at most 128 characters`, 400, { field });
  }
  return raw;
}

export function parseState(raw: string | undefined): 'dead' | 'replayed' | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (raw !== 'dead' && raw !== 'replayed')
    throw new DeadLetterRequestError('invalid_parameter', 'state must be dead or replayed', 400, { field: 'state', value: raw });
  return raw;
}

/** `ids=a,b` or `ids=a&ids=b` (an id never contains a comma: it is `<topic>/<partition>/<offset>`). */
export function parseIdList(raw: unknown): string[] | undefined {
  if (raw === undefined || raw === null || raw === '') return undefined;
  const parts = (Array.isArray(raw) ? raw : [raw]).flatMap((part) => (typeof part === 'string' ? part.split(',') : [part]));
  const ids = parts.map((id) => (typeof id === 'string' ? id.trim() : id)).filter((id) => id !== '');
  if (ids.some((id) => typeof id !== 'string' || id.length > 320))
    throw new DeadLetterRequestError('invalid_parameter', 'ids must be DLQ entry ids', 400, { field: 'ids' });
  if (ids.length > REPLAY_MAX_LIMIT)
    throw new DeadLetterRequestError('invalid_parameter', `at most ${REPLAY_MAX_LIMIT} ids per request`, 400, { field: 'ids' });
  return ids as string[];
}

export interface ReplayRequest {
  readonly ids?: string[];
  readonly errorClass?: string;
  readonly all: boolean;
  readonly limit: number;
}

/** `{ids?, error_class?, all?, limit?}`: one selector at least; `limit` caps what one call replays. */
export function parseReplayRequest(body: unknown): ReplayRequest {
  if (body === undefined || body === null || (typeof body === 'object' && !Array.isArray(body) && Object.keys(body).length === 0)) {
    throw missingSelector();
  }
  if (typeof body !== 'object' || Array.isArray(body))
    throw new DeadLetterRequestError('invalid_body', 'the body must be a JSON object {ids?, error_class?, all?, limit?}', 400);
  const fields = body as Record<string, unknown>;
  const unknown = Object.keys(fields).filter((key) => !['ids', 'error_class', 'all', 'limit'].includes(key));
  if (unknown.length > 0) throw new DeadLetterRequestError('invalid_body', `unknown field ${unknown[0]}`, 400, { field: unknown[0] });
  if (fields.ids !== undefined && (!Array.isArray(fields.ids) || fields.ids.some((id) => typeof id !== 'string'))) {
    throw new DeadLetterRequestError('invalid_body', 'ids must be an array of DLQ entry ids', 400, { field: 'ids' });
  }
  if (fields.all !== undefined && typeof fields.all !== 'boolean')
    throw new DeadLetterRequestError('invalid_body', 'all must be true or false', 400, { field: 'all' });
  if (fields.limit !== undefined && typeof fields.limit !== 'number') {
    throw new DeadLetterRequestError('invalid_body', `limit must be an integer from 1 to ${REPLAY_MAX_LIMIT}`, 400, { field: 'limit', value: fields.limit });
  }
  const ids = fields.ids === undefined ? undefined : (parseIdList(fields.ids as string[]) ?? []);
  const errorClass = parseErrorClass(fields.error_class);
  const all = fields.all === true;
  if ((!ids || ids.length === 0) && errorClass === undefined && !all) throw missingSelector();
  return { ids: ids && ids.length > 0 ? ids : undefined, errorClass, all, limit: parseLimit(fields.limit, REPLAY_DEFAULT_LIMIT, REPLAY_MAX_LIMIT) };
}

function missingSelector(): DeadLetterRequestError {
  return new DeadLetterRequestError('missing_selector', 'Say which entries to replay: ids, error_class, or all: true', 400, {
    fields: ['ids', 'error_class', 'all'],
  });
}
