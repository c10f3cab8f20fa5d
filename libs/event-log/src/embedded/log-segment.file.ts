import { open, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { declaredFrameLength, FRAME_HEADER_BYTES, frameTimestamp, isFrameIntact } from './record-frame.codec';

const SCAN_CHUNK_BYTES = 4 * 1024 * 1024;
const MAX_SEGMENT_BYTES = 0xffffffff;

export function segmentFileName(baseOffset: number): string {
  return `${String(baseOffset).padStart(20, '0')}.log`;
}

export function parseSegmentFileName(name: string): number | undefined {
  const match = /^(\d{20})\.log$/.exec(name);
  return match ? Number(match[1]) : undefined;
}

export interface SegmentScanResult {
  readonly segment: LogSegment;
  /** Bytes cut off the end because the tail frame was torn or corrupt. */
  readonly truncatedBytes: number;
}

/**
 * One append-only segment file of a partition, plus the in-memory index of its frame positions.
 * `size` and `count` only cover frames that are fsynced; nothing past them is ever read.
 */
export class LogSegment {
  private positions = new Uint32Array(1024);
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
   * Opens an existing segment and rebuilds its index by scanning it. A torn or corrupt frame and
   * everything after it is truncated when `truncateTornTail` is set (the active segment, where a
   * crash can interrupt a write); otherwise the scan stops there and the caller decides.
   */
  static async open(
    path: string,
    baseOffset: number,
    options: { verifyCrc: boolean; truncateTornTail: boolean },
  ): Promise<SegmentScanResult> {
    const file = await open(path, 'r+');
    const segment = new LogSegment(baseOffset, path, file);
    try {
      const fileSize = (await file.stat()).size;
      const validEnd = await segment.scan(fileSize, options.verifyCrc);
      if (validEnd < fileSize && options.truncateTornTail) {
        await file.truncate(validEnd);
        await file.sync();
      }
      return { segment, truncatedBytes: fileSize - validEnd };
    } catch (error) {
      await file.close();
      throw error;
    }
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

  /** Indexes every intact frame from the start; returns the end of the last intact frame. */
  private async scan(fileSize: number, verifyCrc: boolean): Promise<number> {
    let chunk = Buffer.allocUnsafe(Math.min(SCAN_CHUNK_BYTES, Math.max(fileSize, FRAME_HEADER_BYTES)));
    let filePosition = 0;
    scan: while (filePosition < fileSize) {
      const available = Math.min(chunk.length, fileSize - filePosition);
      if (available < FRAME_HEADER_BYTES) break;
      await this.readInto(chunk, available, filePosition);
      let p = 0;
      while (p + FRAME_HEADER_BYTES <= available) {
        const length = declaredFrameLength(chunk, p);
        if (length < 0 || filePosition + p + length > fileSize) break scan;
        if (p + length > available) break;
        if (!isFrameIntact(chunk, p, length, verifyCrc)) break scan;
        this.index(filePosition + p, frameTimestamp(chunk, p));
        p += length;
        this.bytes = filePosition + p;
      }
      if (p === 0) {
        // The next frame is larger than the scan buffer (it fits in the file, checked above).
        chunk = Buffer.allocUnsafe(declaredFrameLength(chunk, 0));
        continue;
      }
      filePosition += p;
    }
    return this.bytes;
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
