import { CidrTrie } from './cidr-trie';
import { InvalidCidrError } from './enrichment.errors';

function trieOf(...cidrs: string[]): CidrTrie<string> {
  const trie = new CidrTrie<string>();
  for (const cidr of cidrs) trie.insert(cidr, cidr);
  return trie;
}

describe('CidrTrie', () => {
  describe('IPv4', () => {
    const trie = trieOf('10.0.0.0/8', '10.1.0.0/16', '10.1.2.0/24', '10.1.2.3', '192.168.0.0/16');

    it.each([
      ['10.1.2.3', ['10.0.0.0/8', '10.1.0.0/16', '10.1.2.0/24', '10.1.2.3']],
      ['10.1.2.4', ['10.0.0.0/8', '10.1.0.0/16', '10.1.2.0/24']],
      ['10.1.3.1', ['10.0.0.0/8', '10.1.0.0/16']],
      ['10.200.0.1', ['10.0.0.0/8']],
      ['192.168.255.255', ['192.168.0.0/16']],
      ['11.0.0.0', []],
      ['::ffff:10.1.2.3', ['10.0.0.0/8', '10.1.0.0/16', '10.1.2.0/24', '10.1.2.3']], // mapped = IPv4
      ['::a01:203', []], // the same bits as IPv6 are a different address
    ])('%s matches %j, most specific last', (ip, expected) => {
      expect(trie.matchAll(ip)).toEqual(expected);
      expect(trie.contains(ip)).toBe(expected.length > 0);
    });

    it('counts entries', () => {
      expect(trie.size).toBe(5);
    });
  });

  describe('IPv6', () => {
    const trie = trieOf('2001:db8::/32', '2001:db8:abcd::/48', '2001:db8:abcd:12::1', 'fc00::/7');

    it.each([
      ['2001:db8:abcd:12::1', ['2001:db8::/32', '2001:db8:abcd::/48', '2001:db8:abcd:12::1']],
      ['2001:DB8:ABCD:0012:0:0:0:1', ['2001:db8::/32', '2001:db8:abcd::/48', '2001:db8:abcd:12::1']],
      ['2001:db8:abcd:12::2', ['2001:db8::/32', '2001:db8:abcd::/48']],
      ['2001:db8:1::', ['2001:db8::/32']],
      ['fd00::1', ['fc00::/7']],
      ['2001:db9::', []],
      ['10.0.0.1', []],
    ])('%s matches %j', (ip, expected) => {
      expect(trie.matchAll(ip)).toEqual(expected);
    });
  });

  it('/0 contains every address of its family only', () => {
    const trie = trieOf('0.0.0.0/0', '::/0');
    expect(trie.matchAll('1.2.3.4')).toEqual(['0.0.0.0/0']);
    expect(trie.matchAll('255.255.255.255')).toEqual(['0.0.0.0/0']);
    expect(trie.matchAll('2001:db8::1')).toEqual(['::/0']);
    expect(trie.matchAll('::')).toEqual(['::/0']);
  });

  it('normalizes host bits, so both spellings are one network', () => {
    const trie = new CidrTrie<string>();
    expect(trie.insert('10.1.2.3/8', 'a')).toBe('10.0.0.0/8');
    expect(trie.insert('2001:db8::ff/32', 'b')).toBe('2001:db8::/32');
    expect(trie.matchAll('10.9.9.9')).toEqual(['a']);
    expect(trie.remove('10.0.0.0/8')).toBe(1);
    expect(trie.remove('2001:db8:1::/32')).toBe(1);
    expect(trie.size).toBe(0);
  });

  it('keeps several values for one network, in insertion order', () => {
    const trie = new CidrTrie<string>();
    trie.insert('8.8.8.0/24', 'feed-a');
    trie.insert('8.8.8.0/24', 'feed-b');
    expect(trie.matchAll('8.8.8.8')).toEqual(['feed-a', 'feed-b']);
  });

  describe('remove', () => {
    it('removes by predicate and leaves the rest', () => {
      const trie = new CidrTrie<{ source: string }>();
      trie.insert('8.8.8.0/24', { source: 'a' });
      trie.insert('8.8.8.0/24', { source: 'b' });
      expect(trie.remove('8.8.8.0/24', (v) => v.source === 'a')).toBe(1);
      expect(trie.matchAll('8.8.8.8')).toEqual([{ source: 'b' }]);
      expect(trie.size).toBe(1);
    });

    it('removes only the exact network, not the ones nested in or around it', () => {
      const trie = trieOf('10.0.0.0/8', '10.1.0.0/16', '10.1.2.0/24');
      expect(trie.remove('10.1.0.0/16')).toBe(1);
      expect(trie.matchAll('10.1.2.3')).toEqual(['10.0.0.0/8', '10.1.2.0/24']);
      expect(trie.remove('10.1.0.0/16')).toBe(0);
      expect(trie.remove('10.1.2.0/25')).toBe(0);
      expect(trie.remove('172.16.0.0/12')).toBe(0);
    });

    it('reuses pruned nodes and still answers correctly after churn', () => {
      const trie = new CidrTrie<number>();
      for (let round = 0; round < 3; round++) {
        for (let i = 0; i < 256; i++) trie.insert(`10.${i}.0.0/16`, i);
        expect(trie.matchAll('10.77.1.1')).toEqual([77]);
        for (let i = 0; i < 256; i++) expect(trie.remove(`10.${i}.0.0/16`)).toBe(1);
        expect(trie.matchAll('10.77.1.1')).toEqual([]);
        expect(trie.size).toBe(0);
      }
    });
  });

  describe('bad input', () => {
    it.each(['', '10.0.0.0/33', '::/129', '10.0.0/8', 'not-a-network', '1.2.3.4/'])('insert(%j) throws a coded error naming it', (cidr) => {
      const trie = new CidrTrie<string>();
      let error: unknown;
      try {
        trie.insert(cidr, 'x');
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(InvalidCidrError);
      expect(error).toMatchObject({ code: 'invalid_cidr', retriable: false, input: cidr });
      expect((error as Error).message).toContain(JSON.stringify(cidr));
      expect(trie.size).toBe(0);
    });

    it('remove throws on a bad network too', () => {
      expect(() => new CidrTrie().remove('10.0.0.0/40')).toThrow(InvalidCidrError);
    });

    it.each(['', 'nope', '1.2.3.4.5', 'fe80::1%eth0'])('matchAll(%j) matches nothing and does not throw', (ip) => {
      expect(trieOf('0.0.0.0/0', '::/0').matchAll(ip)).toEqual([]);
    });
  });

  it('grows past its initial capacity', () => {
    const trie = new CidrTrie<number>();
    for (let i = 0; i < 5000; i++) trie.insert(`2001:db8:${i.toString(16)}::/48`, i);
    expect(trie.size).toBe(5000);
    expect(trie.matchAll('2001:db8:1387::1')).toEqual([0x1387]);
  });
});
