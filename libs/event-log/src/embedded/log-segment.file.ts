import { open, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { EmbeddedEventLogError } from './embedded-event-log.errors';
import { declaredFrameLength, FRAME_FORMAT_VERSION, FRAME_HEADER_BYTES, frameTimestamp, isFrameValid } from './record-frame.codec';

const SCAN_CHUNK_BYTES = 4 * 1024 * 1024;
const MAX_SEGMENT_BYTES = 0xffffffff;

export function segmentFileName(baseOffset: number): string {
  return `${String(baseOffset).padStart(20, '0')}.log`;
}

export function parseSegmentFileName(name: string): number | undefined {
  const match = /^(\d{20})\.log$/.exec(name);
  return match ? Number(match[1]) : undefined;
}

/** A damaged stretch of a segment that was skipped: it keeps `slots` offsets, delivered to nobody. */
export interface CorruptRegion {
  /** Byte position in the file where the damage starts. */
  readonly position: number;
  readonly bytes: number;
  /** Index (offset minus the base offset) of its first slot. */
  readonly index: number;
  readonly slots: number;
}

export interface SegmentScanResult {
  readonly segment: LogSegment;
  /** Bytes cut off the end because the tail frame was torn (incomplete or damaged with nothing valid after it). */
  readonly truncatedBytes: number;
  /** Damaged frames inside the segment that were skipped; every frame after them is kept. */
  readonly corrupt: readonly CorruptRegion[];
}

/** Smallest possible frame (header plus an empty body of the current format). */
const MIN_FRAME_BYTES = FRAME_HEADER_BYTES + 21;
/** Damaged frames in a row that resync follows along their declared lengths before scanning bytes. */
const MAX_DAMAGED_CHAIN = 64;

/**
 * One append-only segment file of a partition, plus the in-memory index of its frame positions.
 * `size` and `count` only cover frames that are fsynced; nothing past them is ever read.
 */
export class LogSegment {
  private positions = new Uint32Array(1024);
  /** Indexes of slots whose frame is damaged: they keep their offset and are never delivered. */
  private readonly holes = new Set<number>();
  private frames = 0;
  private bytes = 0;
  private latestTimestamp = -Infinity;
  private readers = 0;
  private retired = false;
  private closed?: Promise<void>;

  private constructor(
    readonly baseOffset: number,
    readonly path: string,
    private readonly file: FileHandle,
  ) {}

  static async create(directory: string, baseOffset: number): Promise<LogSegment> {
    const path = join(directory, segmentFileName(baseOffset));
    return new LogSegment(baseOffset, path, await open(path, 'wx+'));
  }

  /**
   * Opens an existing segment and rebuilds its index by scanning it. A damaged frame followed by a
   * valid one is skipped as a corrupt region (it keeps one offset slot, or as many as
   * `expectedCount` proves it held) and everything after it is kept. Damage with nothing valid
   * after it is a torn tail: truncated when `truncateTornTail` is set (the active segment, where a
   * crash can interrupt a write), otherwise (a sealed segment, fsynced before the next one was
   * created) kept as a corrupt region too.
   */
  static async open(
    path: string,
    baseOffset: number,
    options: { verifyCrc: boolean; truncateTornTail: boolean; expectedCount?: number },
  ): Promise<SegmentScanResult> {
    const file = await open(path, 'r+');
    let segment = new LogSegment(baseOffset, path, file);
    try {
      const fileSize = (await file.stat()).size;
      let scan = await segment.scan(fileSize, options.verifyCrc, options.truncateTornTail);
      if (!options.verifyCrc && (scan.corrupt.length > 0 || scan.validEnd < fileSize)) {
        // Without CRCs a damaged length can misalign the index silently: rescan with them.
        segment = new LogSegment(baseOffset, path, file);
        scan = await segment.scan(fileSize, true, options.truncateTornTail);
      }
      const corrupt = segment.reconcile(scan.corrupt, options.expectedCount);
      if (scan.validEnd < fileSize && options.truncateTornTail) {
        await file.truncate(scan.validEnd);
        await file.sync();
      }
      return { segment, truncatedBytes: fileSize - scan.validEnd, corrupt };
    } catch (error) {
      await file.close();
      throw error;
    }
  }

  /** Whether the slot at `index` is a damaged frame (found at open or by a read). */
  isCorrupt(index: number): boolean {
    return this.holes.has(index);
  }

  /** Marks the frame at `index` as damaged (a read found its CRC wrong); answers whether it was new. */
  markCorrupt(index: number): boolean {
    if (this.holes.has(index)) return false;
    this.holes.add(index);
    return true;
  }

  get size(): number {
    return this.bytes;
  }

  get count(): number {
    return this.frames;
  }

  get nextOffset(): number {
    return this.baseOffset + this.frames;
  }

  /** Append time of the newest record, -Infinity when empty. */
  get maxTimestamp(): number {
    return this.latestTimestamp;
  }

  /** File position where the frame at `index` starts; `index === count` gives the end of the data. */
  positionOf(index: number): number {
    return index < this.frames ? this.positions[index] : this.bytes;
  }

  /** Writes buffers of whole frames at the end with one writev, fsyncs, then indexes them. */
  async append(buffers: readonly Buffer[], byteCount: number): Promise<void> {
    if (this.bytes + byteCount > MAX_SEGMENT_BYTES) throw new Error(`segment ${this.path} would exceed 4 GiB`);
    const { bytesWritten } = await this.file.writev(buffers as Buffer[], this.bytes);
    if (bytesWritten !== byteCount) throw new Error(`short write to ${this.path}: ${bytesWritten} of ${byteCount}`);
    await this.file.sync();
    let position = this.bytes;
    for (const buffer of buffers) {
      for (let p = 0; p < buffer.length; p += declaredFrameLength(buffer, p)) {
        this.index(position + p, frameTimestamp(buffer, p));
      }
      position += buffer.length;
    }
    this.bytes = position;
  }

  /** Reads `length` bytes at `position` with as few syscalls as the kernel allows (normally one). */
  async read(position: number, length: number): Promise<Buffer> {
    const buffer = Buffer.allocUnsafe(length);
    this.readers++;
    try {
      await this.readInto(buffer, length, position);
      return buffer;
    } finally {
      this.readers--;
      if (this.retired && this.readers === 0) this.close().catch(() => undefined);
    }
  }

  /** Deletes the file (retention); the handle closes once in-flight reads finish. */
  async retire(): Promise<void> {
    this.retired = true;
    await rm(this.path, { force: true });
    if (this.readers === 0) await this.close();
  }

  close(): Promise<void> {
    this.closed ??= this.file.close();
    return this.closed;
  }

  private index(position: number, timestamp: number): void {
    if (this.frames === this.positions.length) {
      const grown = new Uint32Array(this.positions.length * 2);
      grown.set(this.positions);
      this.positions = grown;
    }
    this.positions[this.frames++] = position;
    if (timestamp > this.latestTimestamp) this.latestTimestamp = timestamp;
  }

  private indexCorrupt(position: number): void {
    this.holes.add(this.frames);
    this.index(position, -Infinity);
  }

  /**
   * Indexes every frame from the start, skipping damaged ones where a valid frame follows (see
   * record-frame.codec.ts on resync). Returns where the indexed data ends: the file size, or the
   * start of a torn tail.
   */
  private async scan(fileSize: number, verifyCrc: boolean, tornTailPossible: boolean): Promise<{ validEnd: number; corrupt: CorruptRegion[] }> {
    const window = new ScanWindow((buffer, length, position) => this.readInto(buffer, length, position), fileSize);
    const corrupt: CorruptRegion[] = [];
    let position = 0;
    while (position < fileSize) {
      const length = await window.frameLengthAt(position, verifyCrc);
      if (length > 0) {
        const chunk = await window.view(position, length);
        this.index(position, frameTimestamp(chunk.buffer, chunk.at));
        position += length;
        this.bytes = position;
        continue;
      }
      const found = await window.nextFrameAfter(position);
      if (found === undefined && tornTailPossible) break;
      const end = found?.position ?? fileSize;
      const slots = found?.damagedFrames ?? 1;
      corrupt.push({ position, bytes: end - position, index: this.frames, slots });
      for (let k = 0; k < slots; k++) this.indexCorrupt(position);
      position = end;
      this.bytes = position;
    }
    return { validEnd: this.bytes, corrupt };
  }

  /**
   * A sealed segment must hold exactly `expectedCount` slots (the next segment's base offset says
   * so). If one corrupt region makes up the difference, it is given the missing slots, so the
   * offsets of the frames after it stay what they were; otherwise the segment cannot be trusted.
   */
  private reconcile(corrupt: CorruptRegion[], expectedCount: number | undefined): CorruptRegion[] {
    if (expectedCount === undefined || expectedCount === this.frames) return corrupt;
    if (corrupt.length === 1 && expectedCount > this.frames) {
      const [region] = corrupt;
      const missing = expectedCount - this.frames;
      const after = region.index + region.slots;
      const positions = new Uint32Array(Math.max(this.positions.length, expectedCount));
      positions.set(this.positions.subarray(0, after));
      for (let k = 0; k < missing; k++) {
        positions[after + k] = region.position;
        this.holes.add(after + k);
      }
      positions.set(this.positions.subarray(after, this.frames), after + missing);
      this.positions = positions;
      this.frames = expectedCount;
      return [{ ...region, slots: region.slots + missing }];
    }
    throw new EmbeddedEventLogError(
      'log_corrupted',
      `${this.path}: holds ${this.frames} frames (${corrupt.length} damaged) where the next segment's base offset ` +
        `says ${expectedCount}; restore the partition directory from a backup or remove this and the later segments`,
    );
  }

  private async readInto(buffer: Buffer, length: number, position: number): Promise<void> {
    let done = 0;
    while (done < length) {
      const { bytesRead } = await this.file.read(buffer, done, length - done, position + done);
      if (bytesRead === 0) throw new Error(`unexpected end of ${this.path} at ${position + done}`);
      done += bytesRead;
    }
  }
}

/**
 * A read window over a segment file for the open-time scan: frames are checked in place and the
 * window moves (and grows for a frame larger than it) as the scan goes.
 */
class ScanWindow {
  private buffer: Buffer;
  private start = 0;
  private filled = 0;

  constructor(
    private readonly readInto: (buffer: Buffer, length: number, position: number) => Promise<void>,
    private readonly fileSize: number,
  ) {
    this.buffer = Buffer.allocUnsafe(Math.min(SCAN_CHUNK_BYTES, Math.max(fileSize, FRAME_HEADER_BYTES)));
  }

  /** The bytes `[position, position + length)` (which must lie inside the file) as buffer + index. */
  async view(position: number, length: number): Promise<{ buffer: Buffer; at: number }> {
    if (position < this.start || position + length > this.start + this.filled) {
      if (length > this.buffer.length) this.buffer = Buffer.allocUnsafe(length);
      const available = Math.min(this.buffer.length, this.fileSize - position);
      await this.readInto(this.buffer, available, position);
      this.start = position;
      this.filled = available;
    }
    return { buffer: this.buffer, at: position - this.start };
  }

  /** Length of the valid frame at `position`, or -1 (incomplete, implausible or damaged). */
  async frameLengthAt(position: number, verifyCrc: boolean): Promise<number> {
    if (this.fileSize - position < MIN_FRAME_BYTES) return -1;
    const header = await this.view(position, FRAME_HEADER_BYTES);
    const length = declaredFrameLength(header.buffer, header.at);
    if (length < 0 || length > this.fileSize - position) return -1;
    const frame = await this.view(position, length);
    return isFrameValid(frame.buffer, frame.at, length, verifyCrc) ? length : -1;
  }

  /**
   * Where the next valid (CRC-checked) frame after the damaged one at `position` starts, and how
   * many frames the damage covers, or undefined when no valid frame follows. First along the
   * declared lengths (damaged bodies or CRCs keep their lengths, so each step is one lost frame),
   * then byte by byte (a damaged length: counted as one frame, the likeliest case).
   */
  async nextFrameAfter(position: number): Promise<{ position: number; damagedFrames: number } | undefined> {
    let step = position;
    for (let damagedFrames = 1; damagedFrames <= MAX_DAMAGED_CHAIN && this.fileSize - step >= FRAME_HEADER_BYTES; damagedFrames++) {
      const header = await this.view(step, FRAME_HEADER_BYTES);
      const declared = declaredFrameLength(header.buffer, header.at);
      if (declared < 0 || step + declared >= this.fileSize) break;
      step += declared;
      if ((await this.frameLengthAt(step, true)) > 0) return { position: step, damagedFrames };
    }
    const found = await this.scanForFrame(position + 1);
    return found === undefined ? undefined : { position: found, damagedFrames: 1 };
  }

  private async scanForFrame(from: number): Promise<number | undefined> {
    let candidate = from;
    while (candidate + MIN_FRAME_BYTES <= this.fileSize) {
      const { buffer } = await this.view(candidate, FRAME_HEADER_BYTES + 1);
      // Cheap filters, synchronously across the window: the version byte, a declared length that fits.
      const windowEnd = this.start + this.filled;
      let needsWiderView = false;
      for (; candidate + FRAME_HEADER_BYTES + 1 <= windowEnd && candidate + MIN_FRAME_BYTES <= this.fileSize; candidate++) {
        const at = candidate - this.start;
        if (buffer[at + FRAME_HEADER_BYTES] !== FRAME_FORMAT_VERSION) continue;
        const declared = declaredFrameLength(buffer, at);
        if (declared < 0 || declared > this.fileSize - candidate) continue;
        if (candidate + declared > windowEnd) {
          needsWiderView = true;
          break;
        }
        if (isFrameValid(buffer, at, declared, true)) return candidate;
      }
      if (needsWiderView) {
        if ((await this.frameLengthAt(candidate, true)) > 0) return candidate;
        candidate++;
      }
    }
    return undefined;
  }
}
