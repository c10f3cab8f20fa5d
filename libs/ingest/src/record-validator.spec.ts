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
      expect.objectContaining({ index: 3, field: 'dst_port', code: 'invalid_port', message: 'dst_port must be an integer 0-65535, got 70000' }),
    ]);
  });

  it.each([
    [
      'IPFIX',
      { flowStartMilliseconds: 1732288800000, sourceIPv4Address: '10.0.0.1', destinationIPv4Address: '8.8.8.8', protocolIdentifier: 6, octetDeltaCount: 0 },
    ],
    ['NetFlow v9', { first_switched: 1732288800, ipv4_src_addr: '10.0.0.1', ipv4_dst_addr: '8.8.8.8', l4_src_port: 0, in_bytes: 10 }],
    ['goflow2', { TimeFlowStartNs: 1732288800000000000, SrcAddr: '2001:db8::1', DstAddr: '2001:db8::2', Proto: 17, Bytes: 100 }],
    ['RFC 3339 timestamps', { timestamp: '2024-11-22T15:20:00Z', src_ip: '10.0.0.1', dst_ip: '10.0.0.2' }],
  ])('accepts %s field names on flows.v1 records', (_, record) => {
    expect(validator.validate('flows.v1', [record]).rejected).toEqual([]);
  });

  it('rejects what the enricher could not enrich, naming the field as the producer spelled it', () => {
    expect(validator.validate('flows.v1', [{ ts: 1, SrcAddr: 'not-an-ip', DstAddr: '10.0.0.2' }]).rejected[0]).toMatchObject({
      code: 'invalid_ip',
      field: 'SrcAddr',
    });
    expect(validator.validate('zeek.conn', [{ ts: 'yesterday', id_orig_h: '10.0.0.1', id_resp_h: '10.0.0.2' }]).rejected[0]).toMatchObject({
      code: 'invalid_timestamp',
      field: 'ts',
    });
  });

  it('needs a timestamp on flows.v1 records', () => {
    expect(validator.validate('flows.v1', [{ src_ip: '10.0.0.1', dst_ip: '10.0.0.2' }]).rejected[0]).toMatchObject({ code: 'missing_field', field: 'ts' });
  });
});
