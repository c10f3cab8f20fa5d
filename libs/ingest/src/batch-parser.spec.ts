import { DEFAULT_INGEST_LIMITS } from './ingest-limits';
import { parseBatch } from './batch-parser';
import { IngestError } from './ingest-error';

const limits = DEFAULT_INGEST_LIMITS;
const parse = (text: string | Buffer, format: 'zeek.conn' | 'flows.v1' = 'flows.v1') =>
  parseBatch(Buffer.isBuffer(text) ? text : Buffer.from(text), format, limits);

function errorOf(run: () => unknown): IngestError {
  try {
    run();
  } catch (error) {
    if (error instanceof IngestError) return error;
    throw error;
  }
  throw new Error('expected an IngestError');
}

describe('parseBatch: body shapes', () => {
  it.each([
    ['a JSON array', '[{"a":1},{"a":2}]', 2],
    ['a pretty-printed array', '[\n  {"a": 1},\n  {"a": 2}\n]\n', 2],
    ['a single record object', '{"src_ip":"10.0.0.1"}', 1],
    ['a pretty-printed single object', '{\n  "src_ip": "10.0.0.1"\n}', 1],
    ['JSON Lines', '{"a":1}\n{"a":2}\n\n{"a":3}\n', 3],
    ['JSON Lines with CRLF', '{"a":1}\r\n{"a":2}\r\n', 2],
    ['an envelope', '{"collector_id":"c1","records":[{"a":1}]}', 1],
    ['a body with a BOM and leading whitespace', '\ufeff  [{"a":1}]', 1],
  ])('accepts %s', (_, body, count) => {
    expect(parse(body).records).toHaveLength(count);
  });

  it.each([
    ['format', 'zeek.conn.v1', 'zeek.conn'],
    ['format', 'zeek', 'zeek.conn'],
    ['type', 'netflow', 'flows.v1'],
    ['format', 'flows.v1', 'flows.v1'],
  ])('takes the envelope %s %s as %s', (field, value, expected) => {
    const batch = parse(JSON.stringify({ [field]: value, collector_id: 'edge-1', records: [{}] }), 'zeek.conn');
    expect(batch).toMatchObject({ format: expected, formatDeclared: true, collectorId: 'edge-1' });
  });

  it('keeps the endpoint format when the body does not name one', () => {
    expect(parse('[{}]', 'zeek.conn')).toMatchObject({ format: 'zeek.conn', formatDeclared: false });
  });
});

describe('parseBatch: errors with stable codes', () => {
  it.each([
    ['an empty body', '', 'bad_batch_shape'],
    ['whitespace only', '  \n ', 'bad_batch_shape'],
    ['a scalar', '42', 'bad_batch_shape'],
    ['a string', '"hello"', 'bad_batch_shape'],
    ['truncated JSON', '[{"a":1},', 'invalid_json'],
    ['a bad JSON line', '{"a":1}\n{"a":\n', 'invalid_json'],
    ['an envelope whose records is not an array', '{"records":{"a":1}}', 'bad_batch_shape'],
    ['an empty array', '[]', 'empty_batch'],
    ['an unknown format', '{"format":"syslog","records":[{}]}', 'unknown_format'],
    ['a non-string format', '{"format":7,"records":[{}]}', 'unknown_format'],
    ['a non-string collector_id', '{"collector_id":5,"records":[{}]}', 'bad_batch_shape'],
    ['a collector_id over 128 characters', `{"collector_id":"${'c'.repeat(129)}","records":[{}]}`, 'bad_batch_shape'],
    ['a collector_id with a control character', '{"collector_id":"edge\\n1","records":[{}]}', 'bad_batch_shape'],
  ])('refuses %s with %s', (_, body, code) => {
    expect(errorOf(() => parse(body)).code).toBe(code);
  });

  it('refuses bytes that are not UTF-8 with invalid_encoding', () => {
    expect(errorOf(() => parse(Buffer.from([0x5b, 0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d, 0x5d]))).code).toBe('invalid_encoding');
  });

  it('lists the known formats for an unknown one', () => {
    const error = errorOf(() => parse('{"format":"syslog","records":[{}]}'));
    expect(error.details).toMatchObject({ field: 'format', known_formats: expect.arrayContaining(['zeek.conn', 'flows.v1', 'netflow']) });
  });

  // Object.prototype's members are not formats: each is an unknown_format, with the list, never a lookup hit.
  const PROTOTYPE_NAMES = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', 'isPrototypeOf', '__defineGetter__', ' Constructor '];
  it.each(
    PROTOTYPE_NAMES.flatMap((name) => [
      ['format', name],
      ['type', name],
    ]),
  )('refuses the envelope %s %j as unknown_format', (field, name) => {
    const error = errorOf(() => parse(JSON.stringify({ [field]: name, records: [{}] })));
    expect({ code: error.code, status: error.status, details: error.details }).toEqual({
      code: 'unknown_format',
      status: 400,
      details: { field, known_formats: ['zeek.conn', 'zeek.conn.v1', 'zeek', 'flows.v1', 'netflow', 'ipfix'] },
    });
  });

  it('reads envelope fields as the body\'s own, never inherited: a "__proto__" key is just a field', () => {
    const batch = parse('{"__proto__":{"format":"zeek.conn","records":[{}]},"records":[{"a":1}]}', 'flows.v1');
    expect(batch).toMatchObject({ format: 'flows.v1', formatDeclared: false, records: [{ a: 1 }] });
    expect(parse('{"__proto__":{"records":[{}]},"src_ip":"10.0.0.1"}').records).toHaveLength(1);
  });

  it('says on which line JSON Lines break', () => {
    expect(errorOf(() => parse('{"a":1}\n{"a":2}\n{oops}\n')).details).toMatchObject({ line: 3 });
  });

  it('refuses more records than the limit with the limit and the observed count', () => {
    const body = JSON.stringify(Array.from({ length: limits.maxRecords + 1 }, () => ({})));
    const error = errorOf(() => parse(body));
    expect(error.code).toBe('too_many_records');
    expect(error.status).toBe(413);
    expect(error.details).toEqual({ limit: limits.maxRecords, observed: limits.maxRecords + 1 });
  });
});
