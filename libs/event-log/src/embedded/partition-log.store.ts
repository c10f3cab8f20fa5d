import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { EventLogUnavailableError, type LogRecord } from '../event-log.port';
import { syncDirectory } from './atomic-file.writer';
import { EmbeddedEventLogError } from './embedded-event-log.errors';
import { logError, type EmbeddedEventLogLogger } from './embedded-event-log.types';
import { LogSegment, parseSegmentFileName, segmentFileName } from './log-segment.file';
import { decodeFrame } from './record-frame.codec';

export interface PartitionLogOptions {
  /** 'batch': concurrent appends share one write and one fsync; 'always': one fsync per append. */
  readonly fsync: 'always' | 'batch';
  /** A new segment starts once the active one would grow past this size. */
  readonly segmentBytes: number;
  /** Called after records became durable and readable. */
  readonly onAppended: () => void;
  readonly logger: EmbeddedEventLogLogger;
}

/** What one read found: the records, and the offset after the last slot it covered (damaged ones included). */
export interface PartitionRead {
  readonly records: LogRecord[];
  readonly nextOffset: number;
}

interface PendingAppend {
  readonly frames: Buffer;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/**
 * One topic-partition: its segments, the append queue with group commit, and batch reads.
 * Offsets below `endOffset` (the high watermark) are durable; nothing beyond it is visible.
 */
export class PartitionLog {
  private queue: PendingAppend[] = [];
  private flushing?: Promise<void>;
  private failure?: unknown;
  private corruptSkipped = 0;

  private constructor(
    readonly topic: string,
    readonly partition: number,
    private readonly directory: string,
    private readonly segments: LogSegment[],
    private readonly options: PartitionLogOptions,
  ) {}

  /** Opens (or creates) the partition directory, rebuilding the index and truncating a torn tail. */
  static async open(directory: string, topic: string, partition: number, options: PartitionLogOptions): Promise<PartitionLog> {
    await mkdir(directory, { recursive: true });
    const baseOffsets = (await readdir(directory))
      .map(parseSegmentFileName)
      .filter((base): base is number => base !== undefined)
      .sort((a, b) => a - b);
    const segments: LogSegment[] = [];
    let corruptSkipped = 0;
    try {
      for (const [i, baseOffset] of baseOffsets.entries()) {
        const last = i === baseOffsets.length - 1;
        const previous = segments[segments.length - 1];
        if (previous && previous.nextOffset !== baseOffset) {
          throw new EmbeddedEventLogError(
            'log_corrupted',
            `${topic}-${partition}: segment ${baseOffset} does not start where ${previous.baseOffset} ends (${previous.nextOffset})`,
          );
        }
        // Sealed segments were fsynced before the next one was created; only the active one can be
        // torn. Their frames' CRCs are checked when read (and at open only if the scan meets damage).
        const path = join(directory, segmentFileName(baseOffset));
        const { segment, truncatedBytes, corrupt } = await LogSegment.open(path, baseOffset, {
          verifyCrc: last,
          truncateTornTail: last,
          expectedCount: last ? undefined : baseOffsets[i + 1] - baseOffset,
        });
        segments.push(segment);
        for (const region of corrupt) {
          corruptSkipped += region.slots;
          const first = baseOffset + region.index;
          const offsets = region.slots === 1 ? `offset ${first}` : `offsets ${first}..${first + region.slots - 1}`;
          logError(
            options.logger,
            `event log ${topic}-${partition}: skipped a corrupt frame in ${path} at byte ${region.position} ` +
              `(${region.bytes} bytes, ${offsets}); the frames after it are kept`,
          );
        }
        if (truncatedBytes > 0) {
          options.logger.warn(`event log ${topic}-${partition}: truncated a torn tail of ${truncatedBytes} bytes ` + `after offset ${segment.nextOffset}`);
        }
      }
      if (segments.length === 0) {
        segments.push(await LogSegment.create(directory, 0));
        await syncDirectory(directory);
      }
    } catch (error) {
      await Promise.all(segments.map((segment) => segment.close()));
      throw error;
    }
    const log = new PartitionLog(topic, partition, directory, segments, options);
    log.corruptSkipped = corruptSkipped;
    return log;
  }

  /** Damaged frames skipped so far (found by the open-time scan or by reads); never delivered. */
  get corruptFramesSkipped(): number {
    return this.corruptSkipped;
  }

  /** The first offset still stored (0 until retention deletes a segment). */
  get startOffset(): number {
    return this.segments[0].baseOffset;
  }

  /** The next offset to be written; every offset below it is durable. */
  get endOffset(): number {
    return this.active.nextOffset;
  }

  private get active(): LogSegment {
    return this.segments[this.segments.length - 1];
  }

  /** Queues encoded frames; resolves once they are fsynced. Concurrent calls share one fsync. */
  append(frames: Buffer): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.unavailable());
    return new Promise((resolve, reject) => {
      this.queue.push({ frames, resolve, reject });
      this.flushing ??= this.flush();
    });
  }

  /**
   * Reads up to `maxRecords` slots from `fromOffset` with one read syscall: the batch stops at the
   * end of a segment, at the high watermark, and (except for a single record) at `maxBytes`. A
   * damaged frame is left out (reported once, when first found), so the records may have gaps in
   * their offsets and `nextOffset` is where the next read starts.
   */
  async read(fromOffset: number, maxRecords: number, maxBytes: number): Promise<PartitionRead> {
    const end = this.endOffset;
    if (fromOffset >= end || fromOffset < this.startOffset) return { records: [], nextOffset: fromOffset };
    const segment = this.segmentOf(fromOffset);
    const first = fromOffset - segment.baseOffset;
    let count = Math.min(maxRecords, segment.count - first, end - fromOffset);
    const start = segment.positionOf(first);
    if (segment.positionOf(first + count) - start > maxBytes) {
      let low = 1;
      let high = count;
      while (low < high) {
        const middle = (low + high + 1) >>> 1;
        if (segment.positionOf(first + middle) - start <= maxBytes) low = middle;
        else high = middle - 1;
      }
      count = low;
    }
    const buffer = await segment.read(start, segment.positionOf(first + count) - start);
    const records: LogRecord[] = [];
    for (let k = 0; k < count; k++) {
      const index = first + k;
      if (segment.isCorrupt(index)) continue;
      const at = segment.positionOf(index) - start;
      const length = segment.positionOf(index + 1) - start - at;
      const record = decodeFrame(buffer, at, length, this.topic, this.partition, fromOffset + k);
      if (record) {
        records.push(record);
      } else if (segment.markCorrupt(index)) {
        this.corruptSkipped++;
        logError(
          this.options.logger,
          `event log ${this.topic}-${this.partition}: skipped a corrupt frame in ${segment.path} at byte ` +
            `${segment.positionOf(index)} (${length} bytes, offset ${fromOffset + k}); the frames after it are kept`,
        );
      }
    }
    return { records, nextOffset: fromOffset + count };
  }

  /** Deletes whole segments whose newest record is older than `cutoff`; never the active segment. */
  async deleteSegmentsOlderThan(cutoff: number): Promise<number> {
    let deleted = 0;
    while (this.segments.length > 1 && this.segments[0].maxTimestamp < cutoff) {
      const [segment] = this.segments.splice(0, 1);
      await segment.retire();
      deleted++;
    }
    if (deleted > 0) await syncDirectory(this.directory);
    return deleted;
  }

  /** Waits for queued appends to finish, then closes the files. */
  async close(): Promise<void> {
    while (this.flushing) await this.flushing;
    await Promise.all(this.segments.map((segment) => segment.close()));
  }

  private segmentOf(offset: number): LogSegment {
    let low = 0;
    let high = this.segments.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >>> 1;
      if (this.segments[middle].baseOffset <= offset) low = middle;
      else high = middle - 1;
    }
    return this.segments[low];
  }

  private async flush(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const round = this.options.fsync === 'always' ? this.queue.splice(0, 1) : this.queue.splice(0);
        try {
          await this.write(round.map((pending) => pending.frames));
        } catch (error) {
          // After a failed write or fsync the page cache may not match the disk (see "fsyncgate"):
          // refuse further appends until the log is reopened and the tail re-verified.
          this.failure = error;
          const failed = round.concat(this.queue.splice(0));
          for (const pending of failed) pending.reject(this.unavailable());
          return;
        }
        for (const pending of round) pending.resolve();
        this.options.onAppended();
      }
    } finally {
      this.flushing = undefined;
    }
  }

  private async write(chunks: readonly Buffer[]): Promise<void> {
    let i = 0;
    while (i < chunks.length) {
      if (this.active.size > 0 && this.active.size + chunks[i].length > this.options.segmentBytes) {
        // The previous segment is fully fsynced at this point, so only the new one can ever be torn.
        this.segments.push(await LogSegment.create(this.directory, this.active.nextOffset));
        await syncDirectory(this.directory);
      }
      const group = [chunks[i]];
      let bytes = chunks[i++].length;
      while (i < chunks.length && this.active.size + bytes + chunks[i].length <= this.options.segmentBytes) {
        bytes += chunks[i].length;
        group.push(chunks[i++]);
      }
      await this.active.append(group, bytes);
    }
  }

  private unavailable(): EventLogUnavailableError {
    return new EventLogUnavailableError(`embedded event log ${this.topic}-${this.partition} failed to write; reopen the log`, this.failure);
  }
}
