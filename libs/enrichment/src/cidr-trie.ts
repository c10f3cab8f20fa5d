import { InvalidCidrError } from './enrichment.errors';
import { parseCidr, parseIpInto, type ParsedCidr } from './ip-address';

const ROOT_V4 = 0;
const ROOT_V6 = 1;
/** Child slot value meaning "no child". Node 0 is the IPv4 root, which is nobody's child. */
const NONE = 0;
const INITIAL_NODES = 1024;
const EMPTY: readonly never[] = Object.freeze([]);

/**
 * A binary prefix tree (one bit per level) over IPv4 and IPv6 networks, answering "which of the
 * stored networks contain this address?".
 *
 * Nodes live in one Int32Array of child pairs plus a Uint8Array flag for "has values", so a lookup
 * is an allocation-free walk over typed arrays: the address is parsed into a shared scratch buffer
 * and only a hit allocates (its result array). IPv4 and IPv6 have separate roots; IPv4-mapped
 * IPv6 addresses and networks (/96 and longer) live in the IPv4 tree.
 *
 * Several values may share one network (e.g. the same CIDR listed by two feeds); they are kept in
 * insertion order.
 */
export class CidrTrie<T> {
  private children = new Int32Array(INITIAL_NODES * 2);
  private flags = new Uint8Array(INITIAL_NODES);
  private readonly values: Array<T[] | undefined> = [];
  private nodeCount = 2; // the two roots
  private readonly freeNodes: number[] = [];
  private valueCount = 0;
  private readonly scratch = new Uint32Array(4);

  /** Number of stored (network, value) entries. */
  get size(): number {
    return this.valueCount;
  }

  /**
   * Adds `value` under `cidr` (a bare address is a /32 or /128; host bits are cleared) and returns
   * the canonical network text. Throws {@link InvalidCidrError} naming the input when it is not a network.
   */
  insert(cidr: string, value: T): string {
    const network = parseCidrOrThrow(cidr);
    const node = this.walkToNode(network, true);
    const list = this.values[node];
    if (list === undefined) {
      this.values[node] = [value];
      this.flags[node] = 1;
    } else {
      list.push(value);
    }
    this.valueCount++;
    return network.text;
  }

  /**
   * Removes the values stored under exactly `cidr` (after host-bit normalization) for which
   * `predicate` holds, or all of them without a predicate. Returns how many were removed.
   */
  remove(cidr: string, predicate?: (value: T) => boolean): number {
    const network = parseCidrOrThrow(cidr);
    const path: number[] = [];
    const node = this.walkToNode(network, false, path);
    if (node === NONE) return 0;
    const list = this.values[node];
    if (list === undefined) return 0;
    const kept = predicate === undefined ? [] : list.filter((v) => !predicate(v));
    const removed = list.length - kept.length;
    if (removed === 0) return 0;
    this.valueCount -= removed;
    if (kept.length > 0) {
      this.values[node] = kept;
      return removed;
    }
    this.values[node] = undefined;
    this.flags[node] = 0;
    this.prune(path);
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
    const children = this.children;
    const flags = this.flags;
    let out: T[] | null = null;
    let node = family === 4 ? ROOT_V4 : ROOT_V6;
    if (flags[node] === 1) out = this.collect(out, node);
    const words = family === 4 ? 1 : 4;
    for (let w = 0; w < words; w++) {
      const word = scratch[w];
      for (let bit = 31; bit >= 0; bit--) {
        node = children[node * 2 + ((word >>> bit) & 1)];
        if (node === NONE) return out ?? EMPTY;
        if (flags[node] === 1) out = this.collect(out, node);
      }
    }
    return out ?? EMPTY;
  }

  /** True when any stored network contains `ip`; cheaper than {@link matchAll} when values are not needed. */
  contains(ip: string): boolean {
    const scratch = this.scratch;
    const family = parseIpInto(ip, scratch);
    if (family === 0) return false;
    const children = this.children;
    const flags = this.flags;
    let node = family === 4 ? ROOT_V4 : ROOT_V6;
    if (flags[node] === 1) return true;
    const words = family === 4 ? 1 : 4;
    for (let w = 0; w < words; w++) {
      const word = scratch[w];
      for (let bit = 31; bit >= 0; bit--) {
        node = children[node * 2 + ((word >>> bit) & 1)];
        if (node === NONE) return false;
        if (flags[node] === 1) return true;
      }
    }
    return false;
  }

  private collect(out: T[] | null, node: number): T[] {
    const list = this.values[node] as T[];
    if (out === null) return list.slice();
    for (let i = 0; i < list.length; i++) out.push(list[i]);
    return out;
  }

  /**
   * Walks to the node of `network`, creating missing nodes when `create`. Without `create`, returns
   * NONE when the path does not exist. `path`, when given, receives the nodes from the root down.
   */
  private walkToNode(network: ParsedCidr, create: boolean, path?: number[]): number {
    let node = network.family === 4 ? ROOT_V4 : ROOT_V6;
    path?.push(node);
    for (let depth = 0; depth < network.prefixLength; depth++) {
      const word = network.family === 4 ? network.v4 : network.words[depth >>> 5];
      const bit = (word >>> (31 - (depth & 31))) & 1;
      const slot = node * 2 + bit;
      let child = this.children[slot];
      if (child === NONE) {
        if (!create) return NONE;
        child = this.allocateNode();
        // allocateNode may have grown the arrays
        this.children[slot] = child;
      }
      node = child;
      path?.push(node);
    }
    return node;
  }

  /** Unlinks empty leaves bottom-up and recycles them; roots are never freed. */
  private prune(path: number[]): void {
    for (let i = path.length - 1; i > 0; i--) {
      const node = path[i];
      if (this.flags[node] === 1 || this.children[node * 2] !== NONE || this.children[node * 2 + 1] !== NONE) return;
      const parent = path[i - 1];
      const slot = this.children[parent * 2] === node ? parent * 2 : parent * 2 + 1;
      this.children[slot] = NONE;
      this.freeNodes.push(node);
    }
  }

  private allocateNode(): number {
    const recycled = this.freeNodes.pop();
    if (recycled !== undefined) return recycled;
    if (this.nodeCount === this.flags.length) {
      const capacity = this.flags.length * 2;
      const children = new Int32Array(capacity * 2);
      children.set(this.children);
      const flags = new Uint8Array(capacity);
      flags.set(this.flags);
      this.children = children;
      this.flags = flags;
    }
    return this.nodeCount++;
  }
}

function parseCidrOrThrow(cidr: string): ParsedCidr {
  const network = parseCidr(cidr);
  if (network === null) throw new InvalidCidrError(cidr);
  return network;
}
