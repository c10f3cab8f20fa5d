import { InvalidCidrError } from './enrichment.errors';
import { parseCidr, parseIpInto, type ParsedCidr } from './ip-address';

const ROOT_V4 = 0;
const ROOT_V6 = 1;
/** Child slot value meaning "no child". Node 0 is the IPv4 root, which is nobody's child. */
const NONE = 0;
/** What a walk without `create` answers when the network has no node (not NONE: that is the IPv4 root's id). */
const MISSING = -1;
const INITIAL_NODES = 1024;
const EMPTY: readonly never[] = Object.freeze([]);
/** The pointer to a node is in: nothing (a root), `children`, or a direct table. */
const REF_ROOT = 0;
const REF_CHILD = 1;
const REF_TABLE = 2;

/** Leading bits resolved by one read of the direct table: 2^20 slots for IPv4 (9 MB), 2^16 for IPv6 (576 KB); each allocated with its family's first network. */
const V4_TABLE_BITS = 20;
const V6_TABLE_BITS = 16;

/**
 * One family's direct-indexed first stride, two words per slot, in one cache line.
 * `table[2 * slot]` is `(node << 2) | (hasValues << 1) | short`: `node` the subtree root of the
 * `bits`-long prefix `slot` (NONE: nothing that long is stored there), `hasValues` whether that
 * node holds values, `short` set while a network shorter than `bits` covers the slot.
 * `table[2 * slot + 1]` is a filter: 0, or, when the subtree holds exactly one network (a chain to
 * it), `(length << 16) | bits` of that network's first `length` bits after the slot's (at most the
 * rest of the first word), so that an address outside it misses without reading a node.
 * `cover[slot]` counts the networks shorter than `bits` that cover the slot (of distinct lengths,
 * so at most `bits` of them); only updates read it.
 */
interface DirectTable {
  readonly bits: number;
  readonly root: number;
  readonly table: Int32Array;
  readonly cover: Uint8Array;
}

/**
 * A prefix tree over IPv4 and IPv6 networks, answering "which of the stored networks contain this
 * address?".
 *
 * Shape: per family a direct-indexed first stride (a table from the leading 20 bits of an IPv4
 * address, 16 of an IPv6 one, to the subtree of that prefix), below it a binary tree (one bit per
 * level), and beside it a small binary tree, from the family's root, holding only the networks
 * shorter than the stride (`/0`-`/19` IPv4, `/0`-`/15` IPv6). A lookup reads one table entry; only
 * when its "short" bit says a shorter network covers the slot does it walk that small tree; then it
 * walks the subtree below the slot, if any. Nodes live in one Int32Array of child pairs; a child
 * slot holds `(child << 1) | hasValues`, the flag of the node it points to, so each step of a walk
 * reads one array element (one cache line) rather than a child slot and a separate flag. A lookup
 * is an allocation-free walk over typed arrays: the address is parsed into a shared scratch buffer
 * and only a hit allocates (its result array).
 * IPv4-mapped IPv6 addresses and networks (/96 and longer) live in the IPv4 tree.
 *
 * Why this shape (measured with the bench's `threat-intel` stage, issue #11, on its 1M-indicator
 * set and flow stream): a binary walk costs one dependent memory load per address bit, and at 1M
 * networks the node array (~128 MB) is far larger than the caches, so each of the ~16 loads of a
 * lookup was a cache or TLB miss (~36 ns, against ~5 ns at 1k). The table replaces the first 20 of
 * them with one read. Node reads per looked-up address, counted on that stream: 15.6 for the plain
 * binary trie; 2.98 after a 2^16 IPv4 table; 0.84 after a 2^20 one (with the filter: 60% of
 * addresses end at an empty slot, 17% at the filter); 0.46 after 2^24, whose table alone would
 * be 128 MB per trie, so 20 bits. With the has-values flag in a separate array each node cost two
 * misses; in the pointer to the node it costs one (1M lookups/CPU-s 743k → 815k). Multibit strides
 * with prefix expansion throughout would also shorten hits, but make every remove recompute
 * expanded slots; path compression would shrink long sparse IPv6 chains, not the IPv4 misses that
 * dominate. What is left at 1M is about one uncached read per address (the table's slot), which a
 * 1k set, its table nearly all untouched zero pages, does not pay.
 *
 * Every change stays one walk, microseconds: insert, upsert and remove touch the nodes of one
 * path and one slot's words, plus, for a network shorter than the stride, its 2^(stride - length)
 * cover counts (2^20 bytes for an IPv4 `/0`, a millisecond; a /12 is 256).
 *
 * Several values may share one network (e.g. the same CIDR listed by two feeds); they are kept in
 * insertion order, in a Map keyed by node (most nodes are inner nodes without values).
 */
export class CidrTrie<T> {
  private children = new Int32Array(INITIAL_NODES * 2);
  private capacity = INITIAL_NODES;
  private readonly values = new Map<number, T[]>();
  private nodeCount = 2; // the two roots
  private readonly freeNodes: number[] = [];
  private valueCount = 0;
  private readonly scratch = new Uint32Array(4);
  /** Where the pointer to the node of the last {@link walkToNode} is: a REF_* kind and an index. */
  private refKind = REF_ROOT;
  private refIndex = 0;
  /** Whether the last {@link walkToNode} created its slot's subtree root. */
  private slotCreated = false;
  // Allocated with the first network of the family.
  private v4: DirectTable | null = null;
  private v6: DirectTable | null = null;

  /** Number of stored (network, value) entries. */
  get size(): number {
    return this.valueCount;
  }

  /**
   * Adds `value` under `cidr` (a bare address is a /32 or /128; host bits are cleared) and returns
   * the canonical network text. Throws {@link InvalidCidrError} naming the input when it is not a network.
   */
  insert(cidr: string | ParsedCidr, value: T): string {
    const network = parseCidrOrThrow(cidr);
    this.upsertParsed(network, value, undefined);
    return network.text;
  }

  /**
   * Adds `value` under `cidr` and, in the same walk, drops the values already stored under exactly
   * that network for which `replaces` holds; `value` goes after the values kept. Returns how many
   * were dropped. `cidr` may be text or the result of `parseCidr`; throws {@link InvalidCidrError}
   * on text that is not a network.
   */
  upsert(cidr: string | ParsedCidr, value: T, replaces?: (value: T) => boolean): number {
    return this.upsertParsed(parseCidrOrThrow(cidr), value, replaces);
  }

  /**
   * Removes the values stored under exactly `cidr` (after host-bit normalization) for which
   * `predicate` holds, or all of them without a predicate. Returns how many were removed.
   */
  remove(cidr: string | ParsedCidr, predicate?: (value: T) => boolean): number {
    const network = parseCidrOrThrow(cidr);
    const path: number[] = [];
    const node = this.walkToNode(network, false, path);
    if (node === MISSING) return 0;
    const list = this.values.get(node);
    if (list === undefined) return 0;
    const removed = compact(list, predicate);
    if (removed === 0) return 0;
    this.valueCount -= removed;
    if (list.length > 0) return removed;
    this.values.delete(node);
    const table = this.tableOf(network.family) as DirectTable;
    this.setHasValues(table, false);
    if (network.prefixLength < table.bits) {
      this.cover(table, network, -1);
      this.prune(path, table, -1);
    } else {
      const slot = slotOf(network, table.bits);
      this.prune(path, table, slot);
      this.refreshFilter(table, slot);
    }
    return removed;
  }

  /**
   * Every stored value whose network contains `ip`, least specific first, most specific last.
   * Text that is not an address matches nothing. The result is shared and frozen when empty.
   */
  matchAll(ip: string): readonly T[] {
    const scratch = this.scratch;
    const family = parseIpInto(ip, scratch);
    if (family === 0) return EMPTY;
    const direct = family === 4 ? this.v4 : this.v6;
    if (direct === null) return EMPTY;
    const bits = direct.bits;
    const first = scratch[0];
    const at = (first >>> (32 - bits)) << 1;
    const entry = direct.table[at];
    let out: T[] | null = null;
    if ((entry & 1) === 1) out = this.collectShort(out, direct.root, first, bits);
    // (node << 1) | hasValues, as in a child slot
    let pointer = entry >>> 1;
    if (pointer === NONE) return out ?? EMPTY;
    const filter = direct.table[at + 1];
    if (filter !== 0 && (first << bits) >>> (32 - (filter >>> 16)) !== (filter & 0xffff)) return out ?? EMPTY;
    const children = this.children;
    if ((pointer & 1) === 1) out = this.collect(out, pointer >>> 1);
    const words = family === 4 ? 1 : 4;
    let word = first;
    let bit = 31 - bits;
    for (let w = 0; ;) {
      for (; bit >= 0; bit--) {
        // (pointer & ~1) is node * 2, the node's child pair
        pointer = children[(pointer & ~1) + ((word >>> bit) & 1)];
        if (pointer === NONE) return out ?? EMPTY;
        if ((pointer & 1) === 1) out = this.collect(out, pointer >>> 1);
      }
      if (++w === words) return out ?? EMPTY;
      word = scratch[w];
      bit = 31;
    }
  }

  /** True when any stored network contains `ip`; cheaper than {@link matchAll} when values are not needed. */
  contains(ip: string): boolean {
    const scratch = this.scratch;
    const family = parseIpInto(ip, scratch);
    if (family === 0) return false;
    const direct = family === 4 ? this.v4 : this.v6;
    if (direct === null) return false;
    const bits = direct.bits;
    const first = scratch[0];
    const at = (first >>> (32 - bits)) << 1;
    const entry = direct.table[at];
    // A set short bit means a stored network shorter than the stride covers the address.
    if ((entry & 1) === 1) return true;
    let pointer = entry >>> 1;
    if (pointer === NONE) return false;
    const filter = direct.table[at + 1];
    if (filter !== 0 && (first << bits) >>> (32 - (filter >>> 16)) !== (filter & 0xffff)) return false;
    const children = this.children;
    if ((pointer & 1) === 1) return true;
    const words = family === 4 ? 1 : 4;
    let word = first;
    let bit = 31 - bits;
    for (let w = 0; ;) {
      for (; bit >= 0; bit--) {
        pointer = children[(pointer & ~1) + ((word >>> bit) & 1)];
        if (pointer === NONE) return false;
        if ((pointer & 1) === 1) return true;
      }
      if (++w === words) return false;
      word = scratch[w];
      bit = 31;
    }
  }

  private upsertParsed(network: ParsedCidr, value: T, replaces: ((value: T) => boolean) | undefined): number {
    const node = this.walkToNode(network, true);
    const list = this.values.get(node);
    if (list === undefined) {
      this.values.set(node, [value]);
      const table = this.tableOf(network.family) as DirectTable;
      this.setHasValues(table, true);
      if (network.prefixLength < table.bits) this.cover(table, network, 1);
      // A second network in the slot: every leaf of a subtree holds one, so it had one already.
      else if (!this.slotCreated) table.table[slotOf(network, table.bits) * 2 + 1] = 0;
      this.valueCount++;
      return 0;
    }
    const replaced = replaces === undefined ? 0 : compact(list, replaces);
    list.push(value);
    this.valueCount += 1 - replaced;
    return replaced;
  }

  /** Collects the values of the short tree's nodes along `first`'s leading bits (depths 0 to bits - 1). */
  private collectShort(out: T[] | null, root: number, first: number, bits: number): T[] | null {
    const children = this.children;
    if (this.values.has(root)) out = this.collect(out, root);
    let pointer = root << 1;
    for (let bit = 31; bit > 32 - bits; bit--) {
      pointer = children[(pointer & ~1) + ((first >>> bit) & 1)];
      if (pointer === NONE) return out;
      if ((pointer & 1) === 1) out = this.collect(out, pointer >>> 1);
    }
    return out;
  }

  /** Sets the has-values flag in the pointer to the node of the last {@link walkToNode}. */
  private setHasValues(direct: DirectTable, has: boolean): void {
    if (this.refKind === REF_ROOT) return; // a root's values are looked up in the Map
    if (this.refKind === REF_CHILD) this.children[this.refIndex] = has ? this.children[this.refIndex] | 1 : this.children[this.refIndex] & ~1;
    else direct.table[this.refIndex] = has ? direct.table[this.refIndex] | 2 : direct.table[this.refIndex] & ~2;
  }

  private collect(out: T[] | null, node: number): T[] {
    const list = this.values.get(node) as T[];
    if (out === null) return list.slice();
    for (let i = 0; i < list.length; i++) out.push(list[i]);
    return out;
  }

  private tableOf(family: 4 | 6): DirectTable | null {
    return family === 4 ? this.v4 : this.v6;
  }

  private tableFor(family: 4 | 6): DirectTable {
    const existing = this.tableOf(family);
    if (existing !== null) return existing;
    const bits = family === 4 ? V4_TABLE_BITS : V6_TABLE_BITS;
    const created: DirectTable = { bits, root: family === 4 ? ROOT_V4 : ROOT_V6, table: new Int32Array(2 << bits), cover: new Uint8Array(1 << bits) };
    if (family === 4) this.v4 = created;
    else this.v6 = created;
    return created;
  }

  /**
   * Walks to the node of `network`, creating missing nodes when `create`. Without `create`, returns
   * MISSING when the path does not exist. `path`, when given, receives the nodes from the top down:
   * from the family's root for a network shorter than the stride, else from the slot's subtree root.
   */
  private walkToNode(network: ParsedCidr, create: boolean, path?: number[]): number {
    const direct = create ? this.tableFor(network.family) : this.tableOf(network.family);
    if (direct === null) return MISSING;
    this.slotCreated = false;
    let node: number;
    let depth: number;
    if (network.prefixLength < direct.bits) {
      node = direct.root;
      depth = 0;
      this.refKind = REF_ROOT;
    } else {
      const slot = slotOf(network, direct.bits);
      node = direct.table[slot * 2] >>> 2;
      if (node === NONE) {
        if (!create) return MISSING;
        node = this.allocateNode();
        direct.table[slot * 2] = (node << 2) | (direct.table[slot * 2] & 1);
        // The only network of the slot is the one being stored.
        direct.table[slot * 2 + 1] = filterOf(network, direct.bits);
        this.slotCreated = true;
      }
      depth = direct.bits;
      this.refKind = REF_TABLE;
      this.refIndex = slot * 2;
    }
    path?.push(node);
    for (; depth < network.prefixLength; depth++) {
      const word = network.family === 4 ? network.v4 : network.words[depth >>> 5];
      const bit = (word >>> (31 - (depth & 31))) & 1;
      const slot = node * 2 + bit;
      let child = this.children[slot] >>> 1;
      if (child === NONE) {
        if (!create) return MISSING;
        child = this.allocateNode();
        // allocateNode may have grown the array; a new node has no values yet
        this.children[slot] = child << 1;
      }
      node = child;
      this.refKind = REF_CHILD;
      this.refIndex = slot;
      path?.push(node);
    }
    return node;
  }

  /**
   * Recomputes a slot's filter after a removal: walks down from its subtree root while the path
   * does not branch; a valued leaf at its end is the slot's only network.
   */
  private refreshFilter(direct: DirectTable, slot: number): void {
    const { table, bits } = direct;
    let node = table[slot * 2] >>> 2;
    table[slot * 2 + 1] = 0;
    if (node === NONE) return;
    const most = 32 - bits;
    let length = 0;
    let prefix = 0;
    for (;;) {
      const left = this.children[node * 2];
      const right = this.children[node * 2 + 1];
      if (this.values.has(node)) {
        if (left === NONE && right === NONE && length > 0) table[slot * 2 + 1] = (Math.min(length, most) << 16) | prefix;
        return;
      }
      if (left !== NONE && right !== NONE) return;
      if (length < most) prefix = (prefix << 1) | (left === NONE ? 1 : 0);
      length++;
      node = (left === NONE ? right : left) >>> 1;
    }
  }

  /** Adds `delta` to the cover count of every slot of `network`, shorter than the stride, and keeps the short bits in step. */
  private cover(direct: DirectTable, network: ParsedCidr, delta: 1 | -1): void {
    const { table, cover, bits } = direct;
    const from = network.prefixLength === 0 ? 0 : slotOf(network, bits);
    const to = from + (1 << (bits - network.prefixLength));
    for (let slot = from; slot < to; slot++) {
      const count = (cover[slot] += delta);
      table[slot * 2] = count === 0 ? table[slot * 2] & ~1 : table[slot * 2] | 1;
    }
  }

  /**
   * Unlinks empty nodes bottom-up and recycles them. A path from a root stops below it (roots are
   * never freed); a path from a slot's subtree root (`slot` ≥ 0) may free that one too, emptying the slot.
   */
  private prune(path: number[], direct: DirectTable, slot: number): void {
    for (let i = path.length - 1; i >= 0; i--) {
      const node = path[i];
      if (this.values.has(node) || this.children[node * 2] !== NONE || this.children[node * 2 + 1] !== NONE) return;
      if (i === 0) {
        if (slot < 0) return;
        direct.table[slot * 2] &= 1;
        direct.table[slot * 2 + 1] = 0;
      } else {
        const parent = path[i - 1];
        this.children[this.children[parent * 2] >>> 1 === node ? parent * 2 : parent * 2 + 1] = NONE;
      }
      this.freeNodes.push(node);
    }
  }

  private allocateNode(): number {
    const recycled = this.freeNodes.pop();
    if (recycled !== undefined) return recycled;
    if (this.nodeCount === this.capacity) {
      this.capacity *= 2;
      const children = new Int32Array(this.capacity * 2);
      children.set(this.children);
      this.children = children;
    }
    return this.nodeCount++;
  }
}

/** The leading `bits` bits of the network's address (bits ≤ 32, ≤ its prefix length unless it is /0). */
function slotOf(network: ParsedCidr, bits: number): number {
  const first = network.family === 4 ? network.v4 : network.words[0];
  return first >>> (32 - bits);
}

/** The filter of a slot whose only network is `network` (at least `bits` long): see {@link DirectTable}. */
function filterOf(network: ParsedCidr, bits: number): number {
  const length = Math.min(network.prefixLength - bits, 32 - bits);
  if (length === 0) return 0;
  const first = network.family === 4 ? network.v4 : network.words[0];
  return (length << 16) | ((first << bits) >>> (32 - length));
}

/** Drops the items for which `predicate` holds (all of them without one), in place and in order; returns how many. */
function compact<T>(list: T[], predicate: ((value: T) => boolean) | undefined): number {
  if (predicate === undefined) {
    const all = list.length;
    list.length = 0;
    return all;
  }
  let kept = 0;
  for (let i = 0; i < list.length; i++) {
    const item = list[i];
    if (!predicate(item)) list[kept++] = item;
  }
  const removed = list.length - kept;
  list.length = kept;
  return removed;
}

function parseCidrOrThrow(cidr: string | ParsedCidr): ParsedCidr {
  if (typeof cidr !== 'string') return cidr;
  const network = parseCidr(cidr);
  if (network === null) throw new InvalidCidrError(cidr);
  return network;
}
