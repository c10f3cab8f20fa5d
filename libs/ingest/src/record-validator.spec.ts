import { RecordValidator } from './record-validator';

const validator = new RecordValidator();

describe('RecordValidator', () => {
  it.each([
    ['dotted', { ts: 1, 'id.orig_h': '10.0.0.1', 'id.resp_h': '10.0.0.2' }],
    ['underscore', { ts: 1, id_orig_h: '10.0.0.1', id_resp_h: '10.0.0.2' }],
    ['nested', { ts: 1, id: { orig_h: '10.0.0.1', resp_h: '10.0.0.2' } }],
  ])('accepts a Zeek conn record with the %s spelling', (_, record) => {
    expect(validator.validate('zeek.conn', [record])).toEqual({ accepted: [{ index: 0, record }], rejected: [] });
  });

  it('accepts zero values: port 0 and 0 bytes are values', () => {
    const record = { ts: 0, src_ip: '10.0.0.1', dst_ip: '10.0.0.2', src_port: 0, dst_port: 0, bytes: 0, packets: 0 };
    expect(validator.validate('flows.v1', [record]).rejected).toEqual([]);
  });

  it('reports each rejected record by index, field and code, and keeps the valid ones', () => {
    const outcome = validator.validate('flows.v1', [
      { ts: 1, src_ip: '10.0.0.1', dst_ip: '10.0.0.2' },
      { ts: 1, src_ip: '10.0.0.1' },
      'not an object',
      { ts: 1, src_ip: '10.0.0.1', dst_ip: '10.0.0.2', dst_port: 70000 },
    ]);
    expect(outcome.accepted.map((entry) => entry.index)).toEqual([0]);
    expect(outcome.rejected).toEqual([
      expect.objectContaining({ index: 1, field: 'dst_ip', code: 'missing_field' }),
      expect.objectContaining({ index: 2, code: 'not_an_object' }),
      expect.objectContaining({ index: 3, field: 'dst_port', code: 'invalid_maximum' }),
    ]);
  });

  it('needs a timestamp on flows.v1 records', () => {
    expect(validator.validate('flows.v1', [{ src_ip: '10.0.0.1', dst_ip: '10.0.0.2' }]).rejected[0]).toMatchObject({ code: 'missing_field', field: 'ts' });
  });
});
