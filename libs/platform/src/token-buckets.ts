/** What a bucket answers: taken, or the whole seconds until it holds what was asked. */
export type BucketDecision = { readonly taken: true } | { readonly taken: false; readonly retryAfterS: number };

interface Bucket {
  tokens: number;
  updatedMs: number;
  rate: number;
}

const MAX_BUCKETS = 100_000;

/**
 * Token buckets by key, one token per record: `rate` tokens a second, capacity 2 × rate (a burst of
 * two seconds' worth passes). A request larger than the capacity passes when the bucket is full and
 * leaves it in debt, so a batch size alone never makes a key unservable. A bucket whose rate changes
 * starts full at the new rate. Pure but for the clock it is given; state is per process.
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly now: () => number = Date.now) {}

  take(key: string, rate: number, amount: number): BucketDecision {
    if (rate <= 0) return { taken: true };
    const capacity = 2 * rate;
    const now = this.now();
    let bucket = this.buckets.get(key);
    if (!bucket || bucket.rate !== rate) {
      if (!bucket && this.buckets.size >= MAX_BUCKETS) this.evictFull(now);
      bucket = { tokens: capacity, updatedMs: now, rate };
      this.buckets.set(key, bucket);
    }
    bucket.tokens = Math.min(capacity, bucket.tokens + (Math.max(0, now - bucket.updatedMs) / 1000) * rate);
    bucket.updatedMs = now;
    const needed = Math.min(amount, capacity);
    if (bucket.tokens < needed) return { taken: false, retryAfterS: Math.max(1, Math.ceil((needed - bucket.tokens) / rate)) };
    bucket.tokens -= amount;
    return { taken: true };
  }

  get size(): number {
    return this.buckets.size;
  }

  /** Forgets the buckets that have refilled: they would start full anyway. */
  private evictFull(now: number): void {
    for (const [key, bucket] of this.buckets) {
      if (bucket.tokens + ((now - bucket.updatedMs) / 1000) * bucket.rate >= 2 * bucket.rate) this.buckets.delete(key);
    }
  }
}
