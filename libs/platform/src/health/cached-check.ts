import type { CheckOutcome } from './readiness';

export interface CachedCheckOptions {
  /** An answer later than this counts as down. */
  readonly timeoutMs: number;
  /** An answer is reused this long, so frequent probes do not hammer the service checked. */
  readonly cacheMs: number;
  readonly now?: () => number;
}

/**
 * A check of an outside service (the broker, the database) for readiness: at most one call in
 * flight at a time, whatever the number of probes (a hung call is not repeated on top of itself;
 * the probes meanwhile answer down once it is late), its answer reused for `cacheMs`.
 */
export class CachedCheck {
  private readonly now: () => number;
  private last?: { readonly atMs: number; readonly outcome: CheckOutcome };
  private running?: { readonly promise: Promise<Readonly<Record<string, unknown>> | void>; readonly startedAtMs: number };

  /** `probe` resolves (with details for the body) when the service answered, and throws why not. */
  constructor(
    private readonly probe: () => Promise<Readonly<Record<string, unknown>> | void>,
    private readonly options: CachedCheckOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  async check(): Promise<CheckOutcome> {
    if (this.last && this.now() - this.last.atMs < this.options.cacheMs) return this.last.outcome;
    const running = this.start();
    const waitMs = Math.max(0, running.startedAtMs + this.options.timeoutMs - this.now());
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), waitMs);
    });
    let outcome: CheckOutcome;
    try {
      const answer = await Promise.race([running.promise, late]);
      outcome =
        answer === 'late'
          ? { status: 'down', reason: `no answer within ${this.options.timeoutMs} ms (waiting for ${this.now() - running.startedAtMs} ms)` }
          : { status: 'up', latency_ms: this.now() - running.startedAtMs, ...(answer ?? {}) };
    } catch (error) {
      outcome = { status: 'down', reason: error instanceof Error ? error.message : String(error) };
    } finally {
      clearTimeout(timer);
    }
    this.last = { atMs: this.now(), outcome };
    return outcome;
  }

  private start(): { readonly promise: Promise<Readonly<Record<string, unknown>> | void>; readonly startedAtMs: number } {
    if (this.running) return this.running;
    const promise = Promise.resolve().then(this.probe);
    const running = { promise, startedAtMs: this.now() };
    this.running = running;
    const done = () => {
      if (this.running === running) this.running = undefined;
    };
    promise.then(done, done);
    return running;
  }
}
