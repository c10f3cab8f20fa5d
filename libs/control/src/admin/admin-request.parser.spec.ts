import { ControlCommandError } from '../control-decision';
import { parseAdmissionTest, parseRegisterSource, parseUpdateSource } from './admin-request.parser';

const base = { id: 'edge-fra1', type: 'udp', display_name: 'Frankfurt edge', collector: 'gw-fra1' };

/** The `errors` of the 422 that parsing `body` throws. */
function errorsOf(parse: () => unknown): Array<{ field: string; message: string }> {
  try {
    parse();
  } catch (error) {
    expect(error).toBeInstanceOf(ControlCommandError);
    expect((error as ControlCommandError).code).toBe('validation_failed');
    expect((error as ControlCommandError).status).toBe(422);
    return (error as ControlCommandError).details.errors as Array<{ field: string; message: string }>;
  }
  throw new Error('expected a 422');
}
const fields = (parse: () => unknown) => errorsOf(parse).map((error) => error.field);

describe('parsing a source', () => {
  it('fills the original’s defaults: enabled, no allowed networks, unlimited, block on exceed, no tags', () => {
    expect(parseRegisterSource(base)).toEqual({
      sourceId: 'edge-fra1',
      type: 'udp',
      displayName: 'Frankfurt edge',
      collector: 'gw-fra1',
      tags: [],
      status: 'enabled',
      allowedIps: [],
      maxEps: 0,
      blockOnExceed: true,
    });
  });

  it('takes allowed_ips as a JSON array, canonical (host bits cleared, bare addresses as /32 and /128, duplicates once)', () => {
    const parsed = parseRegisterSource({ ...base, allowed_ips: ['10.1.2.3/8', '192.0.2.7', '2001:DB8:0:0::1/32', '10.0.0.0/8', ' 2001:db8::5 '] });
    expect(parsed.allowedIps).toEqual(['10.0.0.0/8', '192.0.2.7/32', '2001:db8::/32', '2001:db8::5/128']);
  });

  it('takes allowed_ips as the original’s JSON-encoded string, and answers an array', () => {
    expect(parseRegisterSource({ ...base, allowed_ips: '["192.0.2.0/24", "2001:db8::/48"]' }).allowedIps).toEqual(['192.0.2.0/24', '2001:db8::/48']);
    expect(parseUpdateSource({ allowed_ips: '[]' })).toEqual({ allowedIps: [] });
  });

  it('names each bad CIDR by its index, and every other problem in the same 422', () => {
    const errors = errorsOf(() => parseRegisterSource({ ...base, allowed_ips: ['10.0.0.0/8', '192.0.2.0/24', '10.0.0.0/33', 'not-an-ip', 7] }));
    expect(errors.map((error) => error.field)).toEqual(['allowed_ips[2]', 'allowed_ips[3]', 'allowed_ips[4]']);
    expect(errors[0].message).toContain('"10.0.0.0/33"');
    expect(fields(() => parseRegisterSource({ ...base, allowed_ips: '["10.0.0.0/8", "nope"]' }))).toEqual(['allowed_ips[1]']);
  });

  it('refuses more than 128 entries, a string that is not a JSON array, and an object', () => {
    const many = Array.from({ length: 129 }, (_, i) => `10.0.${i}.0/24`);
    expect(errorsOf(() => parseRegisterSource({ ...base, allowed_ips: many }))).toEqual([
      { field: 'allowed_ips', message: 'must hold at most 128 entries, got 129' },
    ]);
    expect(parseRegisterSource({ ...base, allowed_ips: many.slice(0, 128) }).allowedIps).toHaveLength(128);
    expect(fields(() => parseRegisterSource({ ...base, allowed_ips: '10.0.0.0/8' }))).toEqual(['allowed_ips']);
    expect(fields(() => parseRegisterSource({ ...base, allowed_ips: { cidr: '10.0.0.0/8' } }))).toEqual(['allowed_ips']);
  });

  it('requires id, type, display_name and collector, and checks max_eps, block_on_exceed, status, tags and unknown fields', () => {
    expect(fields(() => parseRegisterSource({}))).toEqual(['id', 'type', 'display_name', 'collector']);
    expect(
      fields(() =>
        parseRegisterSource({
          ...base,
          id: 'Not A Slug',
          type: 'tcp',
          max_eps: 1_000_001,
          block_on_exceed: 'yes',
          status: 'on',
          tags: ['ok', ''],
          health_status: 'healthy',
        }),
      ).sort(),
    ).toEqual(['block_on_exceed', 'health_status', 'id', 'max_eps', 'status', 'tags[1]', 'type']);
    expect(fields(() => parseUpdateSource({ max_eps: 1.5 }))).toEqual(['max_eps']);
    expect(parseUpdateSource({ max_eps: 1_000_000, block_on_exceed: false })).toEqual({ maxEps: 1_000_000, blockOnExceed: false });
  });

  it('takes tags as an array or a JSON-encoded string of one; null clears site and notes on PATCH', () => {
    expect(parseRegisterSource({ ...base, tags: '["edge","prod"]' }).tags).toEqual(['edge', 'prod']);
    expect(parseUpdateSource({ site: null, notes: null, tags: ['a'] })).toEqual({ site: '', notes: '', tags: ['a'] });
    expect(parseUpdateSource({})).toEqual({});
  });

  it('reads the admission test’s client_ip, canonical; missing or invalid is a 422 naming it', () => {
    expect(parseAdmissionTest({ client_ip: ' ::FFFF:192.0.2.1 ' })).toEqual({ clientIp: '192.0.2.1' });
    expect(errorsOf(() => parseAdmissionTest({}))).toEqual([{ field: 'client_ip', message: 'is required' }]);
    expect(fields(() => parseAdmissionTest({ client_ip: '999.0.0.1' }))).toEqual(['client_ip']);
    expect(fields(() => parseAdmissionTest({ client_ip: 42 }))).toEqual(['client_ip']);
  });
});
