import { SlidingWindowRateLimiter } from './rate-limiter';

describe('SlidingWindowRateLimiter', () => {
  it('allows the limit per minute per key, then refuses with the seconds to wait', () => {
    let now = 1_000_000 * 60_000;
    const limiter = new SlidingWindowRateLimiter(3, 60_000, () => now);
    expect([1, 2, 3].map(() => limiter.take('k').allowed)).toEqual([true, true, true]);
    const refused = limiter.take('k');
    expect(refused).toMatchObject({ allowed: false, limit: 3, remaining: 0 });
    expect(refused.resetSeconds).toBeGreaterThanOrEqual(1);
    expect(limiter.take('other').allowed).toBe(true);
    now += 60_000 * 2;
    expect(limiter.take('k')).toMatchObject({ allowed: true, remaining: 2 });
  });

  it('counts the previous minute by how much of it still overlaps the last 60 s', () => {
    let now = 1_000_000 * 60_000;
    const limiter = new SlidingWindowRateLimiter(10, 60_000, () => now);
    for (let i = 0; i < 10; i += 1) limiter.take('k');
    now += 60_000 + 30_000; // half of the previous minute still counts: 5 used
    const taken = Array.from({ length: 6 }, () => limiter.take('k').allowed);
    expect(taken).toEqual([true, true, true, true, true, false]);
  });

  it('reports the remaining requests of the window', () => {
    const limiter = new SlidingWindowRateLimiter(600, 60_000, () => 0);
    expect(limiter.take('k')).toMatchObject({ allowed: true, limit: 600, remaining: 599, resetSeconds: 60 });
  });
});
