/**
 * A level-triggered wake-up: `notify` before `wait` is not lost. A consumer calls `reset`, scans for
 * work, and `wait`s only when it found none; an append during the scan makes `wait` return at once.
 */
export class WakeSignal {
  private pending = false;
  private waiter?: () => void;

  notify(): void {
    this.pending = true;
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.();
  }

  reset(): void {
    this.pending = false;
  }

  wait(): Promise<void> {
    if (this.pending) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.waiter = resolve;
    });
  }
}

/** Wakes the subscriptions of a topic when records are appended to it (in-process, no polling). */
export class AppendNotifier {
  private readonly signals = new Map<string, Set<WakeSignal>>();

  register(topics: readonly string[], signal: WakeSignal): void {
    for (const topic of topics) {
      let set = this.signals.get(topic);
      if (!set) this.signals.set(topic, (set = new Set()));
      set.add(signal);
    }
  }

  unregister(topics: readonly string[], signal: WakeSignal): void {
    for (const topic of topics) this.signals.get(topic)?.delete(signal);
  }

  appended(topic: string): void {
    const set = this.signals.get(topic);
    if (set) for (const signal of set) signal.notify();
  }
}
