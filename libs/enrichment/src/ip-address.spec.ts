import { canonicalIp, formatIpv6, isEphemeralPort, isPrivateOrReserved, isValidIp, parseCidr, parseIp, parseIpInto, parseIpv4 } from './ip-address';

describe('parseIpv4', () => {
  it.each([
    ['0.0.0.0', 0],
    ['1.2.3.4', 0x01020304],
    ['255.255.255.255', 0xffffffff],
    ['128.0.0.1', 0x80000001],
  ])('%s → %d', (text, value) => {
    expect(parseIpv4(text)).toBe(value);
  });

  it.each([
    '',
    '1.2.3',
    '1.2.3.4.5',
    '256.1.1.1',
    '1.2.3.-1',
    '01.2.3.4',
    '1.2.3.04',
    '1..3.4',
    '.1.2.3',
    '1.2.3.',
    ' 1.2.3.4',
    '1.2.3.4 ',
    '1.2.3.4/32',
    '0x1.2.3.4',
    '1.2.3.4a',
    '１.2.3.4',
    '1.2.3.4444',
  ])('rejects %j', (text) => {
    expect(parseIpv4(text)).toBe(-1);
  });
});

describe('parseIp / canonicalIp', () => {
  it.each([
    ['8.8.8.8', '8.8.8.8'],
    ['::', '::'],
    ['::1', '::1'],
    ['1::', '1::'],
    ['2001:DB8::1', '2001:db8::1'],
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // first of two equal runs
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // a single zero group is not compressed
    ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'], // the longest run wins
    ['fe80::1:2', 'fe80::1:2'],
    ['ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'],
    ['::ffff:1.2.3.4', '1.2.3.4'], // IPv4-mapped is IPv4
    ['::FFFF:8.8.8.8', '8.8.8.8'],
    ['::ffff:0808:0808', '8.8.8.8'],
    ['0:0:0:0:0:ffff:102:304', '1.2.3.4'],
    ['::1.2.3.4', '::102:304'], // IPv4-compatible (deprecated) stays IPv6
    ['64:ff9b::192.0.2.33', '64:ff9b::c000:221'],
    ['1:2:3:4:5:6:1.2.3.4', '1:2:3:4:5:6:102:304'],
  ])('%s → %s', (text, canonical) => {
    expect(canonicalIp(text)).toBe(canonical);
    expect(isValidIp(text)).toBe(true);
  });

  it.each([
    '',
    ':',
    ':::',
    '1:2',
    '1:2:3:4:5:6:7',
    '1:2:3:4:5:6:7:8:9',
    '1::2::3',
    '12345::',
    'g::1',
    '::1:',
    ':1::',
    'fe80::1%eth0',
    'fe80::1%1',
    '[::1]',
    '1:2:3:4:5:6:7::8',
    '1::2:3:4:5:6:7:8',
    '::ffff:1.2.3',
    '::ffff:256.1.1.1',
    '1.2.3.4::',
    '::1.2.3.4:5',
    '1:2:3:4:5:6:7:1.2.3.4',
    'localhost',
    '8.8.8.8 ',
  ])('rejects %j', (text) => {
    expect(parseIp(text)).toBeNull();
    expect(canonicalIp(text)).toBeNull();
    expect(isValidIp(text)).toBe(false);
  });

  it.each([undefined, null, 42, {}, ['1.2.3.4']])('rejects a non-string %j without throwing', (value) => {
    expect(parseIp(value)).toBeNull();
    expect(isValidIp(value)).toBe(false);
  });

  it('parses IPv6 to four big-endian words', () => {
    const ip = parseIp('2001:db8:1:2:3:4:5:6');
    expect(ip?.family).toBe(6);
    expect(ip?.family === 6 && Array.from(ip.words)).toEqual([0x20010db8, 0x00010002, 0x00030004, 0x00050006]);
  });

  it('parses into a caller buffer without allocating a result', () => {
    const out = new Uint32Array(4);
    expect(parseIpInto('10.1.2.3', out)).toBe(4);
    expect(out[0]).toBe(0x0a010203);
    expect(parseIpInto('::ffff:10.1.2.3', out)).toBe(4);
    expect(out[0]).toBe(0x0a010203);
    expect(parseIpInto('::1', out)).toBe(6);
    expect(Array.from(out)).toEqual([0, 0, 0, 1]);
    expect(parseIpInto('nope', out)).toBe(0);
  });

  it('formats all-zero and trailing-zero words', () => {
    expect(formatIpv6(new Uint32Array([0, 0, 0, 0]))).toBe('::');
    expect(formatIpv6(new Uint32Array([0x20010db8, 0, 0, 0]))).toBe('2001:db8::');
  });
});

describe('parseCidr', () => {
  it.each([
    ['10.0.0.0/8', '10.0.0.0/8', 8],
    ['10.1.2.3/8', '10.0.0.0/8', 8], // host bits cleared
    ['8.8.8.8', '8.8.8.8/32', 32], // a bare address is a host route
    ['0.0.0.0/0', '0.0.0.0/0', 0],
    ['255.255.255.255/1', '128.0.0.0/1', 1],
    [' 192.168.1.7/24 ', '192.168.1.0/24', 24],
    ['2001:db8::1/32', '2001:db8::/32', 32],
    ['2001:db8:ffff:ffff::/33', '2001:db8:8000::/33', 33],
    ['::/0', '::/0', 0],
    ['2001:db8::1', '2001:db8::1/128', 128],
    ['::ffff:10.0.0.0/104', '10.0.0.0/8', 8], // mapped networks become IPv4
    ['::ffff:1.2.3.4', '1.2.3.4/32', 32],
  ])('%j → %s', (input, text, prefixLength) => {
    expect(parseCidr(input)).toMatchObject({ text, prefixLength });
  });

  it.each(['', '/8', '10.0.0.0/', '10.0.0.0/33', '10.0.0.0/-1', '10.0.0.0/8/8', '10.0.0.0/a', '::/129', '10.0.0/8', 'x/8', '10.0.0.0/1000'])(
    'rejects %j',
    (input) => {
      expect(parseCidr(input)).toBeNull();
    },
  );
});

describe('isPrivateOrReserved', () => {
  it.each([
    '10.0.0.1',
    '10.255.255.255',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.0.1',
    '127.0.0.1',
    '169.254.1.1',
    '100.64.0.1',
    '100.127.255.255',
    '0.0.0.0',
    '224.0.0.251',
    '239.255.255.250',
    '255.255.255.255',
    '240.0.0.1',
    '192.0.2.1',
    '198.51.100.1',
    '203.0.113.1',
    '198.18.0.1',
    '::',
    '::1',
    'fc00::1',
    'fd12:3456::1',
    'fe80::1',
    'ff02::1',
    '2001:db8::1',
    '::ffff:192.168.1.1',
    '::ffff:127.0.0.1',
    '64:ff9b::1.2.3.4',
    '3fff::1',
    '100::1',
  ])('%s is private or reserved', (ip) => {
    expect(isPrivateOrReserved(ip)).toBe(true);
  });

  it.each([
    '8.8.8.8',
    '1.1.1.1',
    '172.15.255.255',
    '172.32.0.0',
    '100.63.255.255',
    '100.128.0.0',
    '11.0.0.1',
    '2001:4860:4860::8888',
    '2606:4700::1111',
    '::ffff:8.8.8.8',
    '2002:c000:201::1',
  ])('%s is public', (ip) => {
    expect(isPrivateOrReserved(ip)).toBe(false);
  });

  it('is false, not a throw, for text that is not an address', () => {
    expect(isPrivateOrReserved('not-an-ip')).toBe(false);
  });
});

describe('isEphemeralPort', () => {
  it.each([
    [1024, true],
    [5000, true],
    [65535, true],
    [1023, false],
    [0, false],
    [445, false],
    [65536, false],
    [1024.5, false],
    [null, false],
    [undefined, false],
  ])('%p → %p', (port, expected) => {
    expect(isEphemeralPort(port)).toBe(expected);
  });
});
