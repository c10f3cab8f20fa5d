import { AsnResponse, CityResponse, Reader, Response } from 'maxmind';
import { buildAsnDb, buildCityDb, defaultAsnFixture, defaultCityFixture } from './geo-fixtures';
import { MmdbValue, MmdbWriter, MmdbWriterOptions, mmdb } from './mmdb-writer';

// Every test decodes with the real reader the service uses; the writer is only as good as that.
function reader(buffer: Buffer): Reader<Response> {
  return new Reader<Response>(buffer);
}

function lookup(buffer: Buffer, ip: string): unknown {
  return reader(buffer).get(ip);
}

function build(opts: Partial<MmdbWriterOptions>, networks: Array<[string, MmdbValue]>): Buffer {
  const writer = new MmdbWriter({ databaseType: 'Test', ipVersion: 6, ...opts });
  for (const [cidr, data] of networks) writer.insert(cidr, data);
  return writer.toBuffer();
}

function occurrences(haystack: Buffer, needle: string): number {
  let count = 0;
  for (let i = haystack.indexOf(needle); i !== -1; i = haystack.indexOf(needle, i + 1)) count++;
  return count;
}

const METADATA_MARKER = Buffer.from('abcdef4d61784d696e642e636f6d', 'hex');

describe('MmdbWriter', () => {
  describe('exact layout', () => {
    // IPv4 tree with one node: left (0.0.0.0/1) -> data at offset 0, right -> empty.
    // Record values: empty = node_count = 1; data = node_count + 16 + offset = 17.
    const cases: Array<[24 | 28 | 32, string]> = [
      [24, '000011' + '000001'],
      [28, '000011' + '00' + '000001'],
      [32, '00000011' + '00000001'],
    ];
    it.each(cases)('record size %i writes the node, separator and data as the spec says', (size, node) => {
      const buffer = build({ ipVersion: 4, recordSize: size }, [['0.0.0.0/1', 'a']]);
      const expected = Buffer.concat([
        Buffer.from(node, 'hex'),
        Buffer.alloc(16),
        Buffer.from([0x41, 0x61]), // utf8_string (type 2) of length 1, "a"
        METADATA_MARKER,
      ]);
      expect(buffer.subarray(0, expected.length).toString('hex')).toBe(expected.toString('hex'));
      expect(lookup(buffer, '1.2.3.4')).toBe('a');
      expect(lookup(buffer, '128.0.0.1')).toBeNull();
    });

    it('packs the top nibbles of 28-bit records into the middle byte', () => {
      // The first value is ~16.8 MB so the second starts past 2^24: its record needs 25+ bits.
      const big = 'x'.repeat(16_800_000);
      const networks: Array<[string, MmdbValue]> = [
        ['0.0.0.0/1', big],
        ['128.0.0.0/1', 'second'],
      ];
      const buffer = build({ ipVersion: 4, recordSize: 28 }, networks);
      const right = 1 + 16 + 16_800_000 + 4; // node_count + separator + big string incl. 4-byte header
      expect(right).toBeGreaterThan(2 ** 24);
      expect(buffer[3]).toBe(right >>> 24); // left's nibble is 0, right's is the low nibble
      expect(buffer.readUIntBE(4, 3)).toBe(right & 0xffffff);
      expect(lookup(buffer, '200.0.0.1')).toBe('second');
      expect(lookup(buffer, '10.0.0.1')).toHaveLength(16_800_000);

      expect(() => build({ ipVersion: 4, recordSize: 24 }, networks)).toThrow(/record size 24/);
    });
  });

  describe('search tree', () => {
    it.each([24, 28, 32] as const)('answers IPv4 and IPv6 lookups with record size %i', (recordSize) => {
      const buffer = build({ recordSize }, [
        ['10.0.0.0/8', 'ten'],
        ['2001:db8::/32', 'doc'],
        ['2001:db8:ffff:ffff:ffff:ffff:ffff:ffff/128', 'last'],
      ]);
      expect(lookup(buffer, '10.20.30.40')).toBe('ten');
      expect(lookup(buffer, '2001:db8::1')).toBe('doc');
      expect(lookup(buffer, '2001:db8:ffff:ffff:ffff:ffff:ffff:fffe')).toBe('doc');
      expect(lookup(buffer, '2001:db8:ffff:ffff:ffff:ffff:ffff:ffff')).toBe('last');
      expect(lookup(buffer, '11.0.0.0')).toBeNull();
      expect(lookup(buffer, '2001:db9::')).toBeNull();
      expect(reader(buffer).metadata.recordSize).toBe(recordSize);
    });

    it('stores IPv4 networks under ::/96 in an IPv6 tree', () => {
      const buffer = build({}, [['8.8.8.0/24', 'v4']]);
      expect(lookup(buffer, '8.8.8.8')).toBe('v4');
      expect(lookup(buffer, '::8.8.8.8')).toBe('v4');
      expect(lookup(buffer, '::808:8ff')).toBe('v4');
      expect(reader(buffer).getWithPrefixLength('8.8.8.8')).toEqual(['v4', 24]);
      expect(reader(buffer).getWithPrefixLength('::8.8.8.8')).toEqual(['v4', 120]);
    });

    it('aliases IPv4-mapped and 6to4 addresses to the IPv4 data, unless disabled', () => {
      const networks: Array<[string, MmdbValue]> = [
        ['8.8.8.0/24', 'v4'],
        ['2001:db8::/32', 'v6'],
      ];
      const aliased = build({}, networks);
      expect(lookup(aliased, '::ffff:8.8.8.8')).toBe('v4');
      expect(lookup(aliased, '2002:808:808::1')).toBe('v4');
      expect(lookup(aliased, '::ffff:8.8.9.8')).toBeNull();
      expect(lookup(aliased, '2001:db8::1')).toBe('v6');

      const plain = build({ aliasIpv4: false }, networks);
      expect(lookup(plain, '8.8.8.8')).toBe('v4');
      expect(lookup(plain, '::ffff:8.8.8.8')).toBeNull();
      expect(lookup(plain, '2002:808:808::1')).toBeNull();
    });

    it('lets a more specific network inserted later win inside a broader one', () => {
      const buffer = build({}, [
        ['10.0.0.0/8', 'ten'],
        ['10.1.0.0/16', 'ten-one'],
        ['10.1.2.3/32', 'host'],
        ['2001:db8::/32', 'doc'],
        ['2001:db8:1::/48', 'doc-one'],
      ]);
      const r = reader(buffer);
      // The reported prefix is where the lookup left the split paths, hence not always /8 or /16.
      expect(r.getWithPrefixLength('10.0.0.1')).toEqual(['ten', 16]);
      expect(r.getWithPrefixLength('10.255.255.255')).toEqual(['ten', 9]);
      expect(r.getWithPrefixLength('10.1.5.5')).toEqual(['ten-one', 22]);
      expect(r.getWithPrefixLength('10.1.2.2')).toEqual(['ten-one', 32]);
      expect(r.getWithPrefixLength('10.1.2.3')).toEqual(['host', 32]);
      expect(r.getWithPrefixLength('10.1.2.4')).toEqual(['ten-one', 30]);
      expect(r.get('2001:db8:2::1')).toBe('doc');
      expect(r.get('2001:db8:1:ffff::1')).toBe('doc-one');
      expect(r.get('9.255.255.255')).toBeNull();
      expect(r.get('11.0.0.0')).toBeNull();
    });

    it('lets a broader network inserted later replace the specifics inside it', () => {
      const buffer = build({ ipVersion: 4 }, [
        ['192.168.1.0/24', 'specific'],
        ['192.168.0.0/16', 'broad'],
      ]);
      expect(lookup(buffer, '192.168.1.1')).toBe('broad');
      expect(lookup(buffer, '192.168.200.1')).toBe('broad');
    });

    it('builds exactly one node per prefix bit above the record', () => {
      const buffer = build({ ipVersion: 4 }, [['10.0.0.0/8', 'x']]);
      expect(reader(buffer).metadata.nodeCount).toBe(8);
      // The /9 splits the /8's data record into one more node.
      const split = build({ ipVersion: 4 }, [
        ['10.0.0.0/8', 'x'],
        ['10.128.0.0/9', 'y'],
      ]);
      expect(reader(split).metadata.nodeCount).toBe(9);
      expect(lookup(split, '10.0.0.1')).toBe('x');
      expect(lookup(split, '10.200.0.1')).toBe('y');
    });

    it('supports /0 networks', () => {
      expect(lookup(build({ ipVersion: 4 }, [['0.0.0.0/0', 'all']]), '203.0.113.9')).toBe('all');
      const v6 = build({}, [
        ['::/0', 'all'],
        ['2001:db8::/32', 'doc'],
      ]);
      expect(lookup(v6, '2a00::1')).toBe('all');
      expect(lookup(v6, '1.2.3.4')).toBe('all');
      expect(lookup(v6, '2001:db8::5')).toBe('doc');
    });

    it('returns null for every address in an empty database', () => {
      const buffer = build({}, []);
      expect(lookup(buffer, '1.2.3.4')).toBeNull();
      expect(lookup(buffer, '::1')).toBeNull();
      expect(reader(buffer).metadata.nodeCount).toBe(1);
    });

    it('can keep inserting after toBuffer()', () => {
      const writer = new MmdbWriter({ databaseType: 'Test', ipVersion: 6 }).insert('1.0.0.0/8', 'one');
      const first = writer.toBuffer();
      writer.insert('2.0.0.0/8', 'two');
      const second = writer.toBuffer();
      expect(lookup(first, '2.2.2.2')).toBeNull();
      expect(lookup(second, '2.2.2.2')).toBe('two');
      expect(lookup(second, '::ffff:1.1.1.1')).toBe('one');
    });

    it('rejects bad networks', () => {
      const v4 = new MmdbWriter({ databaseType: 'Test', ipVersion: 4 });
      expect(() => v4.insert('2001:db8::/32', 'x')).toThrow(/IPv4 database/);
      expect(() => v4.insert('10.0.0.1/8', 'x')).toThrow(/host bits/);
      expect(() => v4.insert('10.0.0.0/33', 'x')).toThrow(/prefix/);
      expect(() => v4.insert('10.0.0/8', 'x')).toThrow(/invalid network/);
      expect(() => v4.insert('10.0.0.0/x', 'x')).toThrow(/prefix/);
      expect(() => v4.insert('10.0.0.0', 'x')).not.toThrow(); // a host route
    });
  });

  describe('data section', () => {
    it('round-trips every data type', () => {
      const value = {
        utf8_string: 'Zürich 東京 🙂',
        empty_string: '',
        long_string: 'a'.repeat(200), // size in the 29..284 form
        longer_string: 'b'.repeat(5_000), // size in the 285..65820 form
        longest_string: 'c'.repeat(70_000), // size in the 65821+ form
        double: -122.0838,
        whole_double: mmdb.double(37),
        float: mmdb.float(1.5),
        bytes: Buffer.from([0, 1, 2, 0xfe, 0xff]),
        uint16: mmdb.uint16(65_535),
        uint32: 4_294_967_295,
        uint32_zero: 0,
        int32: -2_147_483_648,
        int32_minus_one: -1,
        int32_positive: mmdb.int32(123_456),
        uint64_from_number: 2 ** 40,
        uint64: 18_446_744_073_709_551_615n,
        uint128: mmdb.uint128((1n << 128n) - 1n),
        uint128_from_bigint: 1n << 100n,
        true: true,
        false: false,
        array: [1, 'two', [3], { four: 4 }],
        empty_array: [],
        empty_map: {},
        nested: { a: { b: { c: { d: 'deep' } } } },
        many_keys: Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${i}`, i])),
      };
      const decoded = lookup(build({}, [['10.0.0.0/8', value]]), '10.0.0.1');
      expect(decoded).toEqual({
        ...value,
        whole_double: 37,
        float: 1.5,
        bytes: Buffer.from([0, 1, 2, 0xfe, 0xff]),
        uint16: 65_535,
        int32_positive: 123_456,
        uint64_from_number: BigInt(2 ** 40), // the reader returns uint64/uint128 as bigint
        uint128: (1n << 128n) - 1n,
      });
    });

    it('encodes plain numbers by range: uint32, uint64, int32, double', () => {
      const buffer = build({ ipVersion: 4 }, [
        ['1.0.0.0/8', 7],
        ['2.0.0.0/8', 2 ** 32],
        ['3.0.0.0/8', -7],
        ['4.0.0.0/8', 0.25],
        ['5.0.0.0/8', -(2 ** 40)],
      ]);
      const dataAt = (ip: string) => lookup(buffer, ip);
      expect(dataAt('1.1.1.1')).toBe(7);
      expect(dataAt('2.2.2.2')).toBe(2n ** 32n);
      expect(dataAt('3.3.3.3')).toBe(-7);
      expect(dataAt('4.4.4.4')).toBe(0.25);
      expect(dataAt('5.5.5.5')).toBe(-(2 ** 40)); // below int32: only a double holds it
    });

    it('stores identical records once, whoever created the object', () => {
      const networks: Array<[string, MmdbValue]> = [];
      for (let i = 0; i < 50; i++) {
        networks.push([`10.${i}.0.0/16`, { org: 'Example Networks Unlimited', asn: 64_500 }]);
      }
      const buffer = build({}, networks);
      expect(occurrences(buffer, 'Example Networks Unlimited')).toBe(1);
      expect(lookup(buffer, '10.0.0.1')).toEqual({ org: 'Example Networks Unlimited', asn: 64_500 });
      expect(lookup(buffer, '10.49.0.1')).toEqual({ org: 'Example Networks Unlimited', asn: 64_500 });
    });

    it('replaces repeated nested values with pointers of every needed size', () => {
      const shared = 'shared string, long enough to be worth a pointer';
      const buffer = build({ ipVersion: 4 }, [
        ['1.0.0.0/8', { pad: 'p'.repeat(3_000), s: shared }], // `shared` lands past 2048: 3-byte pointer
        ['2.0.0.0/8', { pad: 'q'.repeat(600_000), s: shared, t: 'far' }], // `far` lands past 526336
        ['3.0.0.0/8', { s: shared, t: 'far away from the start' }],
        ['4.0.0.0/8', { s: 'far away from the start' }],
      ]);
      expect(occurrences(buffer, shared)).toBe(1);
      expect(occurrences(buffer, 'far away from the start')).toBe(1);
      expect(occurrences(buffer, 'pad')).toBe(1); // map keys are shared too
      expect(lookup(buffer, '1.1.1.1')).toEqual({ pad: 'p'.repeat(3_000), s: shared });
      expect(lookup(buffer, '2.2.2.2')).toEqual({ pad: 'q'.repeat(600_000), s: shared, t: 'far' });
      expect(lookup(buffer, '3.3.3.3')).toEqual({ s: shared, t: 'far away from the start' });
      expect(lookup(buffer, '4.4.4.4')).toEqual({ s: 'far away from the start' });
    });

    it('rejects values it cannot represent', () => {
      const writer = new MmdbWriter({ databaseType: 'Test', ipVersion: 4 });
      expect(() => writer.insert('1.0.0.0/8', { when: new Date() } as unknown as MmdbValue)).toThrow(/\$\.when/);
      expect(() => writer.insert('1.0.0.0/8', null as unknown as MmdbValue)).toThrow(/unsupported/);
      expect(() => writer.insert('1.0.0.0/8', 1n << 128n)).toThrow(/uint128/);
      expect(() => mmdb.uint16(70_000)).toThrow(RangeError);
      expect(() => mmdb.int32(2 ** 31)).toThrow(RangeError);
      expect(() => mmdb.uint64(-1)).toThrow(RangeError);
    });
  });

  describe('metadata', () => {
    it('writes the fields readers need', () => {
      const buffer = build(
        {
          databaseType: 'GeoLite2-City',
          ipVersion: 6,
          recordSize: 24,
          description: 'fixture',
          languages: ['en', 'de'],
          buildEpoch: 1_700_000_000,
        },
        [['10.0.0.0/8', 'x']],
      );
      expect(reader(buffer).metadata).toEqual({
        binaryFormatMajorVersion: 2,
        binaryFormatMinorVersion: 0,
        buildEpoch: new Date(1_700_000_000 * 1000),
        databaseType: 'GeoLite2-City',
        description: { en: 'fixture' },
        ipVersion: 6,
        languages: ['en', 'de'],
        nodeByteSize: 6,
        // 104 nodes down to ::10.0.0.0/104; the ::ffff:0:0/96 alias leaves that path at bit 80 and
        // adds nodes at depths 81..95; the 2002::/16 alias leaves it at bit 2 and adds depths 3..15.
        nodeCount: 104 + 15 + 13,
        recordSize: 24,
        searchTreeSize: (104 + 15 + 13) * 6,
        treeDepth: 128,
      });
    });

    it('defaults build_epoch to now', () => {
      const before = Math.floor(Date.now() / 1000) * 1000;
      const epoch = reader(build({ ipVersion: 4 }, [])).metadata.buildEpoch.getTime();
      expect(epoch).toBeGreaterThanOrEqual(before);
      expect(epoch).toBeLessThanOrEqual(Date.now());
    });
  });
});

describe('GeoLite2 fixtures', () => {
  const city = new Reader<CityResponse>(buildCityDb([...defaultCityFixture]));
  const asn = new Reader<AsnResponse>(buildAsnDb([...defaultAsnFixture]));

  it('look like GeoLite2-City to the reader', () => {
    expect(city.metadata.databaseType).toBe('GeoLite2-City');
    expect(city.metadata.ipVersion).toBe(6);
    expect(city.metadata.languages).toEqual(['en']);
    expect(city.get('8.8.8.8')).toEqual({
      city: { names: { en: 'Mountain View' } },
      country: { iso_code: 'US', names: { en: 'United States' } },
      location: { latitude: 37.386, longitude: -122.0838, time_zone: 'America/Los_Angeles' },
      registered_country: { iso_code: 'US', names: { en: 'United States' } },
    });
    expect(city.get('1.1.1.1')?.city?.names.en).toBe('Sydney');
    expect(city.get('45.155.205.233')?.country?.iso_code).toBe('NL');
    expect(city.get('45.155.205.233')?.location?.time_zone).toBe('Europe/Amsterdam');
    expect(city.get('185.220.101.1')?.country?.names.en).toBe('Germany');
    expect(city.get('81.2.69.142')?.city?.names.en).toBe('London');
    expect(city.get('81.2.69.142')?.country?.iso_code).toBe('GB');
    expect(city.get('::ffff:81.2.69.142')?.country?.iso_code).toBe('GB');

    const v6 = city.get('2001:4860:4860::8888');
    expect(v6?.country?.iso_code).toBe('US');
    expect(v6?.city).toBeUndefined();
    expect(v6?.location?.latitude).toBe(37.751);

    expect(city.get('192.0.2.1')).toBeNull();
    expect(city.get('2001:db8::1')).toBeNull();
  });

  it('look like GeoLite2-ASN to the reader', () => {
    expect(asn.metadata.databaseType).toBe('GeoLite2-ASN');
    expect(asn.get('8.8.4.4')).toBeNull();
    expect(asn.get('8.8.8.8')).toEqual({
      autonomous_system_number: 15169,
      autonomous_system_organization: 'GOOGLE',
    });
    expect(asn.get('2001:4860:4860::8844')?.autonomous_system_number).toBe(15169);
    expect(asn.get('1.1.1.1')?.autonomous_system_organization).toBe('CLOUDFLARENET');
    expect(asn.get('45.155.205.10')?.autonomous_system_number).toBe(49870);
    expect(asn.get('185.220.101.47')?.autonomous_system_number).toBe(208294);
    expect(asn.get('81.2.69.160')?.autonomous_system_number).toBe(20712);
  });

  it('build custom entries, whole-degree coordinates included', () => {
    const db = new Reader<CityResponse>(buildCityDb([{ cidr: '203.0.113.0/24', country: 'ZZ', latitude: 10, longitude: -20 }]));
    const record = db.get('203.0.113.7');
    expect(record?.country?.names.en).toBe('ZZ');
    expect(record?.location?.latitude).toBe(10);
    expect(record?.location?.longitude).toBe(-20);
    expect(record?.location?.time_zone).toBeUndefined();
  });
});
