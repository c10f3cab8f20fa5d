import { unwrapRecord } from './producer-shapes';

const conn = { ts: 1796170700.5, uid: 'C1', 'id.orig_h': '10.0.0.1', 'id.resp_h': '8.8.8.8' };
const topic = 'telemetry.ingest.zeek-conn.v1';

describe('unwrapRecord', () => {
  it('leaves a bare record alone', () => {
    expect(unwrapRecord('zeek.conn', conn, topic)).toEqual({ ok: true, record: conn });
  });

  it('takes off Zeek tag_json = T ({"conn": {...}})', () => {
    expect(unwrapRecord('zeek.conn', { conn }, topic)).toEqual({ ok: true, record: conn, envelope: 'zeek-tag-json' });
  });

  it.each(['dns', 'http', 'ssl', 'files', 'notice', 'weird', 'x509'])('refuses the tagged %s log with unsupported_zeek_log', (log) => {
    expect(unwrapRecord('zeek.conn', { [log]: conn }, topic)).toEqual({
      ok: false,
      code: 'unsupported_zeek_log',
      reason: `Zeek log "${log}" (from its tag_json tag) is not supported on ${topic}: only conn records are enriched`,
    });
  });

  it('routes untagged records by _path', () => {
    expect(unwrapRecord('zeek.conn', { _path: 'conn', ...conn }, topic)).toMatchObject({ ok: true });
    expect(unwrapRecord('zeek.conn', { _path: 'dns', ...conn }, topic)).toMatchObject({ ok: false, code: 'unsupported_zeek_log' });
  });

  it('does not take a lone nested id object for a tag', () => {
    expect(unwrapRecord('zeek.conn', { id: { orig_h: '10.0.0.1' } }, topic)).toEqual({ ok: true, record: { id: { orig_h: '10.0.0.1' } } });
  });

  it('reads a tag only on the Zeek topic', () => {
    expect(unwrapRecord('flows.v1', { conn }, 'telemetry.ingest.flows.v1')).toEqual({ ok: true, record: { conn } });
  });

  it.each([
    ['a struct', { type: 'struct', fields: [] }, conn],
    ['no schema (a schemaless map)', null, conn],
    ['a string holding the JSON', { type: 'string', optional: false }, JSON.stringify(conn)],
    ['bytes (base64)', { type: 'bytes' }, Buffer.from(JSON.stringify(conn)).toString('base64')],
  ])('takes off a Kafka Connect JsonConverter envelope with %s', (_, schema, payload) => {
    expect(unwrapRecord('zeek.conn', { schema, payload }, topic)).toEqual({ ok: true, record: conn, envelope: 'kafka-connect' });
  });

  it('unwraps a Connect envelope around a tagged Zeek record', () => {
    expect(unwrapRecord('zeek.conn', { schema: null, payload: { conn } }, topic)).toEqual({ ok: true, record: conn, envelope: 'kafka-connect' });
  });

  it('is not fooled by records that merely have schema and payload fields among others', () => {
    const record = { ...conn, schema: {}, payload: 'x' };
    expect(unwrapRecord('zeek.conn', record, topic)).toEqual({ ok: true, record });
  });

  it.each([
    ['a tombstone', { schema: { type: 'struct' }, payload: null }, 'invalid_record', /null \(a tombstone\)/],
    ['an array payload', { schema: { type: 'array' }, payload: [conn] }, 'invalid_record', /got an array with schema type array/],
    ['a number payload', { schema: { type: 'int64' }, payload: 5 }, 'invalid_record', /got number with schema type int64/],
    ['a string that is not JSON', { schema: { type: 'string' }, payload: 'nope' }, 'invalid_json', /payload \(schema type string\) is not JSON/],
  ])('refuses a Connect envelope with %s', (_, value, code, reason) => {
    const result = unwrapRecord('flows.v1', value, 'telemetry.ingest.flows.v1');
    expect(result).toMatchObject({ ok: false, code });
    expect(result.ok ? '' : result.reason).toMatch(reason);
  });
});
