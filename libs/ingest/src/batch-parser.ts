import { canonicalFormat, FORMAT_ALIASES, identifierProblem, IngressFormat } from '@telemetry/contracts';
import { IngestError } from './ingest-error';
import { IngestLimits } from './ingest-limits';

export interface ParsedBatch {
  readonly format: IngressFormat;
  readonly collectorId?: string;
  /** True when the body named its format (envelope `format` or `type`). */
  readonly formatDeclared: boolean;
  readonly records: readonly unknown[];
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Parses an ingest body: a JSON array of records, the envelope `{collector_id, format | type,
 * records}`, a single record object (pretty-printed too), or NDJSON / JSON Lines.
 * `defaultFormat` comes from the endpoint; an envelope's format overrides it on the generic ones.
 */
export function parseBatch(body: Buffer, defaultFormat: IngressFormat, limits: IngestLimits): ParsedBatch {
  let text: string;
  try {
    text = utf8.decode(body);
  } catch {
    throw new IngestError('invalid_encoding', 'Body is not valid UTF-8');
  }
  const start = firstNonSpace(text);
  if (start === -1) throw new IngestError('bad_batch_shape', 'Body is empty; expected a JSON array, an envelope object, or JSON Lines');
  const first = text[start];
  if (first !== '[' && first !== '{') {
    throw new IngestError('bad_batch_shape', `Body starts with "${first}"; expected a JSON array, an envelope object, or JSON Lines`, {
      position: start,
    });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    // Not one JSON document: it may be JSON Lines (one record per line), if its first line is a
    // whole object. Otherwise the document's own parse error (with its position) is the answer.
    if (first === '{' && firstLineIsJson(text, start)) {
      return { format: defaultFormat, formatDeclared: false, records: checkCount(parseLines(text), limits) };
    }
    throw invalidJson(error);
  }
  if (Array.isArray(parsed)) return { format: defaultFormat, formatDeclared: false, records: checkCount(parsed, limits) };
  const object = parsed as Record<string, unknown>;
  // Envelope fields are read as the body's own properties only, never through Object.prototype.
  if (!Object.hasOwn(object, 'records')) return { format: defaultFormat, formatDeclared: false, records: [object] };
  if (!Array.isArray(object.records)) {
    throw new IngestError('bad_batch_shape', 'Envelope field "records" must be an array', { field: 'records' });
  }
  const formatField = ownField(object, 'format') !== undefined ? 'format' : 'type';
  const declared = ownField(object, formatField);
  let format = defaultFormat;
  if (declared !== undefined) {
    const canonical = typeof declared === 'string' ? canonicalFormat(declared) : undefined;
    if (!canonical) {
      throw new IngestError('unknown_format', `Unknown format ${JSON.stringify(declared)}`, {
        field: formatField,
        known_formats: Object.keys(FORMAT_ALIASES),
      });
    }
    format = canonical;
  }
  const collector = ownField(object, 'collector_id');
  // The identifier rule of the whole product: what the enricher would refuse is refused here, at once.
  const collectorProblem = collector === undefined ? null : identifierProblem(collector, 'Envelope field "collector_id"');
  if (collectorProblem) throw new IngestError('bad_batch_shape', collectorProblem, { field: 'collector_id' });
  return { format, formatDeclared: declared !== undefined, collectorId: collector as string | undefined, records: checkCount(object.records, limits) };
}

/** A property the body itself carries (null counts as absent, as `??` treated it), never an inherited one. */
function ownField(object: Record<string, unknown>, name: string): unknown {
  return Object.hasOwn(object, name) ? (object[name] ?? undefined) : undefined;
}

function parseLines(text: string): unknown[] {
  const records: unknown[] = [];
  let line = 0;
  for (const raw of text.split('\n')) {
    line += 1;
    const trimmed = raw.trim();
    if (trimmed.length === 0) continue;
    try {
      records.push(JSON.parse(trimmed));
    } catch (error) {
      throw invalidJson(error, { line });
    }
  }
  return records;
}

function checkCount(records: unknown[], limits: IngestLimits): unknown[] {
  if (records.length > limits.maxRecords) {
    throw new IngestError('too_many_records', `Batch has ${records.length} records; the limit is ${limits.maxRecords}`, {
      limit: limits.maxRecords,
      observed: records.length,
    });
  }
  if (records.length === 0) throw new IngestError('empty_batch', 'Batch has no records');
  return records;
}

function invalidJson(error: unknown, where: Record<string, unknown> = {}): IngestError {
  const detail = error instanceof Error ? error.message : String(error);
  return new IngestError('invalid_json', `Body is not valid JSON: ${detail}`, { ...where, detail });
}

function firstNonSpace(text: string): number {
  for (let index = 0; index < text.length; index += 1) {
    const code = text.charCodeAt(index);
    if (code !== 0x20 && code !== 0x0a && code !== 0x0d && code !== 0x09 && code !== 0xfeff) return index;
  }
  return -1;
}

function firstLineIsJson(text: string, start: number): boolean {
  const end = text.indexOf('\n', start);
  try {
    // Trimmed exactly as parseLines trims each line.
    JSON.parse((end === -1 ? text.slice(start) : text.slice(start, end)).trim());
    return true;
  } catch {
    return false;
  }
}
