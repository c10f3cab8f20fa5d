/**
 * A small seeded PRNG (mulberry32) for the fuzz and property specs: the same seed gives the same
 * cases, so a failure can be replayed from the seed it names.
 */
export class SeededRng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  bool(probability = 0.5): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }

  bytes(length: number): Buffer {
    const buffer = Buffer.allocUnsafe(length);
    for (let index = 0; index < length; index += 1) buffer[index] = Math.floor(this.next() * 256);
    return buffer;
  }
}

/** The seed a fuzz spec runs with: the environment variable's (to replay a failure), else its fixed default. */
export function fuzzSeed(variable: string, value: string | undefined, fallback: number): number {
  if (value === undefined || value.trim() === '') return fallback >>> 0;
  const seed = Number(value);
  if (!Number.isInteger(seed)) throw new Error(`${variable} must be an integer, got ${value}`);
  return seed >>> 0;
}
