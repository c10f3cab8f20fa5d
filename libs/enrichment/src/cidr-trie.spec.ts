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

  it('removes a /0 of either family (the IPv4 root once read as "no node")', () => {
    const trie = trieOf('0.0.0.0/0', '::/0', '10.0.0.0/8');
    expect(trie.remove('0.0.0.0/0')).toBe(1);
    expect(trie.remove('::/0')).toBe(1);
    expect(trie.matchAll('10.1.1.1')).toEqual(['10.0.0.0/8']);
    expect(trie.matchAll('2001:db8::1')).toEqual([]);
    expect(trie.size).toBe(1);
  });

  it('upserts: drops the values a predicate picks at exactly that network and appends the new one, in one call', () => {
    const trie = new CidrTrie<{ source: string; n: number }>();
    trie.insert('8.8.8.0/24', { source: 'a', n: 1 });
    trie.insert('8.8.8.0/24', { source: 'b', n: 2 });
    trie.insert('8.8.0.0/16', { source: 'a', n: 3 });
    expect(trie.upsert('8.8.8.9/24', { source: 'a', n: 4 }, (v) => v.source === 'a')).toBe(1);
    expect(trie.matchAll('8.8.8.8')).toEqual([
      { source: 'a', n: 3 },
      { source: 'b', n: 2 },
      { source: 'a', n: 4 },
    ]);
    expect(trie.size).toBe(3);
    expect(() => trie.upsert('8.8.8.0/33', { source: 'a', n: 5 })).toThrow(InvalidCidrError);
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

/**
 * Differential check against a brute-force reference: random networks of every length in both
 * families (IPv4 also written as IPv4-mapped IPv6), grown around a few shared bases so they nest,
 * inserted, upserted and removed at random; after each round, random and boundary addresses
 * (first, last, one before, one after a sample of networks) must match exactly what the reference
 * holds, least specific first and in insertion order within a network.
 */
describe('CidrTrie against a brute-force reference (seeded)', () => {
  interface Network {
    readonly family: 4 | 6;
    /** One word for IPv4, four for IPv6; host bits cleared. */
    readonly words: readonly number[];
    readonly length: number;
  }
  /** The reference: the values of one network, in insertion order. */
  interface Held extends Network {
    readonly key: string;
    values: number[];
  }

  function mulberry32(seed: number): () => number {
    let a = seed >>> 0;
    return () => {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  const random = mulberry32(20261202);
  const int = (n: number) => Math.floor(random() * n);
  const word = () => int(0x100000000);
  const maskOf = (bits: number) => (bits <= 0 ? 0 : bits >= 32 ? 0xffffffff : (0xffffffff << (32 - bits)) >>> 0);
  const masked = (words: readonly number[], length: number) => words.map((w, i) => (w & maskOf(length - i * 32)) >>> 0);
  const lastOf = (words: readonly number[], length: number) => words.map((w, i) => (w | ~maskOf(length - i * 32)) >>> 0);
  const contains = (network: Network, family: 4 | 6, words: readonly number[]) => {
    if (network.family !== family) return false;
    for (let i = 0; i < words.length; i++) if ((words[i] & maskOf(network.length - i * 32)) >>> 0 !== network.words[i]) return false;
    return true;
  };
  /** The address one after (`+1`) or before (`-1`), or null past either end. */
  const step = (words: readonly number[], delta: 1 | -1): number[] | null => {
    const out = [...words];
    for (let i = out.length - 1; i >= 0; i--) {
      const next = out[i] + delta;
      if (next >= 0 && next <= 0xffffffff) {
        out[i] = next;
        return out;
      }
      out[i] = delta === 1 ? 0 : 0xffffffff;
    }
    return null;
  };
  const v4Text = (v: number) => `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
  const hextets = (words: readonly number[]) => words.flatMap((w) => [(w >>> 16).toString(16), (w & 0xffff).toString(16)]);
  /** An address in one of the spellings the parser takes: IPv4 dotted or mapped, IPv6 full or `::`-compressed. */
  const text = (family: 4 | 6, words: readonly number[]): string => {
    if (family === 4) return random() < 0.1 ? `::ffff:${v4Text(words[0])}` : v4Text(words[0]);
    const full = hextets(words).join(':');
    return random() < 0.5 ? full : full.replace(/(^|:)0(:0)+(:|$)/, '::');
  };
  const cidrText = (network: Network): string => {
    if (network.family === 6) return `${text(6, network.words)}/${network.length}`;
    return random() < 0.1 ? `::ffff:${v4Text(network.words[0])}/${96 + network.length}` : `${v4Text(network.words[0])}/${network.length}`;
  };

  // Bases the networks and addresses grow around, so that they nest and share long prefixes.
  // IPv6 bases stay in 2000::/3, away from ::ffff:0:0/96, which the trie (rightly) files under IPv4.
  const bases4 = Array.from({ length: 24 }, () => [word()]);
  const bases6 = Array.from({ length: 24 }, () => [0x20000000 + int(0x20000000), word(), word(), word()]);
  /** A base with a random number of its trailing bits randomized. */
  const near = (family: 4 | 6): number[] => {
    const base = (family === 4 ? bases4 : bases6)[int(24)];
    const keep = int((family === 4 ? 32 : 128) + 1);
    return base.map((w, i) => ((w & maskOf(keep - i * 32)) | (word() & ~maskOf(keep - i * 32))) >>> 0);
  };
  /** Prefix lengths of every size, weighted toward hosts and toward each side of the direct tables' strides. */
  const randomNetwork = (): Network => {
    const family = random() < 0.5 ? 4 : 6;
    const total = family === 4 ? 32 : 128;
    const r = random();
    const length = r < 0.3 ? total : r < 0.5 ? (family === 4 ? 20 : 16) - 2 + int(5) : r < 0.502 ? 0 : int(total + 1);
    return { family, words: masked(near(family), length), length };
  };
  const keyOf = (n: Network) => `${n.family}/${n.length}/${n.words.join('.')}`;

  const trie = new CidrTrie<number>();
  const held = new Map<string, Held>();
  let keys: string[] = [];
  let size = 0;
  let nextValue = 1;
  const groupOf = (network: Network): Held => {
    const key = keyOf(network);
    let group = held.get(key);
    if (group === undefined) {
      group = { ...network, key, values: [] };
      held.set(key, group);
      keys.push(key);
    }
    return group;
  };
  const forget = (group: Held, keep: (value: number) => boolean) => {
    const before = group.values.length;
    group.values = group.values.filter(keep);
    size -= before - group.values.length;
    return before - group.values.length;
  };
  /** A held network (its group possibly emptied since; then the trie must hold nothing there either). */
  const someHeld = (): Held => held.get(keys[int(keys.length)]) as Held;
  const expected = (family: 4 | 6, words: readonly number[]) =>
    [...held.values()]
      .filter((group) => group.values.length > 0 && contains(group, family, words))
      .sort((a, b) => a.length - b.length)
      .flatMap((group) => group.values);

  function insertRandom(): void {
    const network = randomNetwork();
    const value = nextValue++;
    trie.insert(cidrText(network), value);
    groupOf(network).values.push(value);
    size++;
  }

  function churn(operations: number): void {
    for (let op = 0; op < operations; op++) {
      const r = random();
      if (r < 0.6) {
        insertRandom();
      } else if (r < 0.7) {
        // Upsert on a held network: replaces the odd values there, appends the new one.
        const group = someHeld();
        const value = nextValue++;
        expect(trie.upsert(cidrText(group), value, (v) => v % 2 === 1)).toBe(forget(group, (v) => v % 2 === 0));
        group.values.push(value);
        size++;
      } else if (r < 0.85) {
        const group = someHeld();
        const victim = group.values[int(group.values.length)];
        expect(trie.remove(cidrText(group), (v) => v === victim)).toBe(forget(group, (v) => v !== victim));
      } else if (r < 0.95) {
        const group = someHeld();
        expect(trie.remove(cidrText(group))).toBe(forget(group, () => false));
      } else {
        // A network that may or may not be held; the trie must agree either way.
        const group = groupOf(randomNetwork());
        expect(trie.remove(cidrText(group))).toBe(forget(group, () => false));
      }
    }
  }

  function check(addresses: number): void {
    expect(trie.size).toBe(size);
    const probes: Array<[4 | 6, readonly number[]]> = [];
    for (let i = 0; i < addresses; i++) {
      const family = random() < 0.5 ? 4 : 6;
      probes.push([family, near(family)]);
    }
    for (let i = 0; i < addresses / 8; i++) {
      const group = someHeld();
      const last = lastOf(group.words, group.length);
      for (const words of [group.words, last, step(group.words, -1), step(last, 1)]) if (words !== null) probes.push([group.family, words]);
    }
    for (const [family, words] of probes) {
      const ip = text(family, words);
      const want = expected(family, words);
      const got = trie.matchAll(ip);
      if (JSON.stringify(got) !== JSON.stringify(want)) throw new Error(`matchAll(${ip}) = ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
      expect(trie.contains(ip)).toBe(want.length > 0);
    }
  }

  it('agrees while 20,000 networks are inserted, then while they churn, then as they are all removed', () => {
    for (let round = 0; round < 10; round++) {
      for (let i = 0; i < 2000; i++) insertRandom();
      check(150);
    }
    for (let round = 0; round < 10; round++) {
      churn(2000);
      check(150);
    }
    let removed = 0;
    for (const key of keys) {
      const group = held.get(key) as Held;
      expect(trie.remove(cidrText(group))).toBe(forget(group, () => false));
      if (++removed % 4000 === 0) check(100);
    }
    keys = [];
    held.clear();
    expect(size).toBe(0);
    expect(trie.size).toBe(0);
    expect(trie.matchAll('0.0.0.0')).toEqual([]);
    expect(trie.matchAll('::')).toEqual([]);
  });
});
