import { EventLogUnavailableError, TailNotCaughtUpError } from './event-log.port';

/** One partition a `caughtUp` call waits for: the records below `endOffset` must have been applied. */
export interface CaughtUpTarget {
  readonly topic: string;
  readonly partition: number;
  /** The first retained offset when the snapshot was taken; `endOffset <= startOffset` is an empty partition. */
  readonly startOffset: bigint;
  readonly endOffset: bigint;
}

interface Waiter {
  readonly targets: readonly CaughtUpTarget[];
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

export const DEFAULT_CAUGHT_UP_TIMEOUT_MS = 10_000;

/**
 * What a tail's handler has applied (the next offset per partition), and the `caughtUp` calls
 * waiting for it. Shared by the adapters: each reports progress after its handler resolved, and
 * snapshots its end offsets when `caughtUp` is called.
 */
export class TailProgress {
  private readonly applied = new Map<string, bigint>();
  private readonly waiters = new Set<Waiter>();
  private closed = false;

  /** The handler applied every record of the partition below `nextOffset`. */
  advanced(topic: string, partition: number, nextOffset: bigint): void {
    const key = keyOf(topic, partition);
    const previous = this.applied.get(key);
    if (previous !== undefined && previous >= nextOffset) return;
    this.applied.set(key, nextOffset);
    for (const waiter of this.waiters) {
      if (this.reached(waiter.targets)) waiter.resolve();
    }
  }

  /** Resolves once every target is reached; rejects with TailNotCaughtUpError after the timeout. */
  async caughtUp(targets: readonly CaughtUpTarget[], options: { timeoutMs?: number } = {}): Promise<void> {
    if (this.closed) throw new EventLogUnavailableError('the tail is closed');
    if (this.reached(targets)) return;
    const timeoutMs = options.timeoutMs ?? DEFAULT_CAUGHT_UP_TIMEOUT_MS;
    let timer: NodeJS.Timeout | undefined;
    let waiter: Waiter | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        waiter = { targets, resolve, reject };
        this.waiters.add(waiter);
        timer = setTimeout(() => reject(this.notCaughtUp(targets, timeoutMs)), timeoutMs);
      });
    } finally {
      clearTimeout(timer);
      if (waiter) this.waiters.delete(waiter);
    }
  }

  /** The tail is closing: pending and later `caughtUp` calls reject with EventLogUnavailableError. */
  close(): void {
    this.closed = true;
    for (const waiter of this.waiters) waiter.reject(new EventLogUnavailableError('the tail was closed'));
  }

  private reached(targets: readonly CaughtUpTarget[]): boolean {
    return targets.every(
      (target) => target.endOffset <= target.startOffset || (this.applied.get(keyOf(target.topic, target.partition)) ?? -1n) >= target.endOffset,
    );
  }

  private notCaughtUp(targets: readonly CaughtUpTarget[], timeoutMs: number): TailNotCaughtUpError {
    const behind = targets
      .filter((target) => !this.reached([target]))
      .map((target) => {
        const applied = this.applied.get(keyOf(target.topic, target.partition));
        return `${target.topic}-${target.partition} at ${applied ?? 'nothing'} of ${target.endOffset}`;
      });
    return new TailNotCaughtUpError(`tail not caught up within ${timeoutMs} ms: ${behind.join(', ')}`);
  }
}

function keyOf(topic: string, partition: number): string {
  return `${partition}:${topic}`;
}
