export interface RateLimitDecision {
  readonly allowed: boolean;
  readonly limit: number;
  readonly remaining: number;
  /** Seconds until a request is allowed again (when refused) or the window has fully refilled. */
  readonly resetSeconds: number;
}

/**
 * A sliding-window limiter per key (the previous fixed minute weighted by how much of it still
 * overlaps the last 60 s, plus the current minute): smooth at window edges, O(1) memory per key.
 * Pure: the clock is a parameter. State is per process, so N ingest-api replicas allow N × limit.
 */
export class SlidingWindowRateLimiter {
  private readonly windows = new Map<string, { start: number; current: number; previous: number }>();

  constructor(
    readonly limitPerWindow: number,
    private readonly windowMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  take(key: string): RateLimitDecision {
    const now = this.now();
    const start = now - (now % this.windowMs);
    let window = this.windows.get(key);
    if (!window || start - window.start >= 2 * this.windowMs) {
      window = { start, current: 0, previous: 0 };
      this.windows.set(key, window);
    } else if (window.start !== start) {
      window = { start, current: 0, previous: window.current };
      this.windows.set(key, window);
    }
    const overlap = 1 - (now - start) / this.windowMs;
    const used = window.previous * overlap + window.current;
    if (used + 1 > this.limitPerWindow) {
      // When enough of the previous window has slid out (or the next window starts) for one more.
      const needed = used + 1 - this.limitPerWindow;
      const waitMs = window.previous > 0 ? Math.min(this.windowMs - (now - start), (needed / window.previous) * this.windowMs) : this.windowMs - (now - start);
      return { allowed: false, limit: this.limitPerWindow, remaining: 0, resetSeconds: Math.max(1, Math.ceil(waitMs / 1000)) };
    }
    window.current += 1;
    if (this.windows.size > 100_000) this.evictIdle(start);
    return {
      allowed: true,
      limit: this.limitPerWindow,
      remaining: Math.max(0, Math.floor(this.limitPerWindow - used - 1)),
      resetSeconds: Math.ceil((this.windowMs - (now - start)) / 1000),
    };
  }

  /** Gives back one `take` of the current window (e.g. an attempt that turned out fine). */
  refund(key: string): void {
    const window = this.windows.get(key);
    if (window && window.current > 0) window.current -= 1;
  }

  /** How much of the limit is used now (weighted as `take` counts it), without taking one. */
  peek(key: string): number {
    const now = this.now();
    const start = now - (now % this.windowMs);
    const window = this.windows.get(key);
    if (!window || start - window.start >= 2 * this.windowMs) return 0;
    const previous = window.start === start ? window.previous : window.current;
    const current = window.start === start ? window.current : 0;
    return previous * (1 - (now - start) / this.windowMs) + current;
  }

  /** Seconds until the key may take one again (at least 1). */
  resetSeconds(key: string): number {
    const now = this.now();
    const start = now - (now % this.windowMs);
    const window = this.windows.get(key);
    const previous = !window ? 0 : window.start === start ? window.previous : window.current;
    const needed = this.peek(key) + 1 - this.limitPerWindow;
    const untilNextWindow = this.windowMs - (now - start);
    const waitMs = needed <= 0 ? 0 : previous > 0 ? Math.min(untilNextWindow, (needed / previous) * this.windowMs) : untilNextWindow;
    return Math.max(1, Math.ceil(waitMs / 1000));
  }

  private evictIdle(start: number): void {
    for (const [key, window] of this.windows) if (start - window.start >= 2 * this.windowMs) this.windows.delete(key);
  }
}
