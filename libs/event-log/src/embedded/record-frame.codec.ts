import type { Headers, LogRecord, OutgoingRecord } from '../event-log.port';
import { crc32 } from './crc32.checksum';
import { EmbeddedEventLogError } from './embedded-event-log.errors';

/*
 * One record on disk is one frame (little endian):
 *
 *   u32 bodyLength | u32 crc32(body) | body
 *   body = u8 formatVersion | f64 timestamp | i32 keyLength (-1 = null) | key
 *        | u32 headerCount | (u32 nameLength | name | u32 valueLength | value)* | u32 valueLength | value
 *
 * Offsets are not stored: a record's offset is its segment's base offset plus its index in the file.
 *
 * Resync after damage: a frame carries no sync marker, so a reader that meets a bad frame finds
 * the next good one by its own checks. First where the bad frame's declared length points (a
 * flipped bit in the body or the CRC leaves the length intact); failing that, byte by byte, a
 * position whose header declares a length that fits, whose body has the known version and walks
 * exactly to that length field by field (key, headers, value), and whose CRC matches. Random bytes
 * pass all three with negligible probability (the CRC alone is 1 in 2^32).
 */
export const FRAME_HEADER_BYTES = 8;
export const FRAME_FORMAT_VERSION = 1;
const FORMAT_VERSION = FRAME_FORMAT_VERSION;
const MIN_BODY_BYTES = 1 + 8 + 4 + 4 + 4;
const TIMESTAMP_AT = FRAME_HEADER_BYTES + 1;

/** Encodes records into one buffer of consecutive frames, so a publish is one write per partition. */
export function encodeFrames(records: readonly OutgoingRecord[], timestamp: number): Buffer {
  let total = 0;
  for (const record of records) total += FRAME_HEADER_BYTES + bodyLength(record);
  const buffer = Buffer.allocUnsafe(total);
  let position = 0;
  for (const record of records) position = writeFrame(buffer, position, record, timestamp);
  return buffer;
}

function bodyLength(record: OutgoingRecord): number {
  let length = MIN_BODY_BYTES + byteLength(record.value);
  if (record.key !== null && record.key !== undefined) length += byteLength(record.key);
  if (record.headers) {
    for (const name of Object.keys(record.headers)) {
      length += 8 + Buffer.byteLength(name) + Buffer.byteLength(record.headers[name]);
    }
  }
  return length;
}

function byteLength(data: string | Buffer): number {
  return typeof data === 'string' ? Buffer.byteLength(data) : data.length;
}

function writeBytes(buffer: Buffer, position: number, data: string | Buffer): number {
  return typeof data === 'string' ? buffer.write(data, position) : data.copy(buffer, position);
}

function writeFrame(buffer: Buffer, start: number, record: OutgoingRecord, timestamp: number): number {
  let p = start + FRAME_HEADER_BYTES;
  buffer[p++] = FORMAT_VERSION;
  buffer.writeDoubleLE(timestamp, p);
  p += 8;
  if (record.key === null || record.key === undefined) {
    buffer.writeInt32LE(-1, p);
    p += 4;
  } else {
    const written = writeBytes(buffer, p + 4, record.key);
    buffer.writeInt32LE(written, p);
    p += 4 + written;
  }
  const names = record.headers ? Object.keys(record.headers) : [];
  buffer.writeUInt32LE(names.length, p);
  p += 4;
  for (const name of names) {
    const nameBytes = buffer.write(name, p + 4);
    buffer.writeUInt32LE(nameBytes, p);
    p += 4 + nameBytes;
    const valueBytes = buffer.write((record.headers as Headers)[name], p + 4);
    buffer.writeUInt32LE(valueBytes, p);
    p += 4 + valueBytes;
  }
  const valueBytes = writeBytes(buffer, p + 4, record.value);
  buffer.writeUInt32LE(valueBytes, p);
  p += 4 + valueBytes;
  const bodyStart = start + FRAME_HEADER_BYTES;
  buffer.writeUInt32LE(p - bodyStart, start);
  buffer.writeUInt32LE(crc32(buffer, bodyStart, p), start + 4);
  return p;
}

/** Total length of the frame at `position` as its header declares it, or -1 if the header is implausible. */
export function declaredFrameLength(buffer: Buffer, position: number): number {
  const body = buffer.readUInt32LE(position);
  return body < MIN_BODY_BYTES ? -1 : FRAME_HEADER_BYTES + body;
}

/** Whether the complete frame at `position` (of `length` bytes) has a known version and a matching CRC. */
export function isFrameIntact(buffer: Buffer, position: number, length: number, verifyCrc: boolean): boolean {
  if (buffer[position + FRAME_HEADER_BYTES] !== FORMAT_VERSION) return false;
  if (!verifyCrc) return true;
  return crc32(buffer, position + FRAME_HEADER_BYTES, position + length) === buffer.readUInt32LE(position + 4);
}

/**
 * Whether the `length` bytes at `position` form a frame whose body fields walk exactly to its end,
 * with a known version and (when `verifyCrc`) a matching CRC. Cheap structural checks run first, so
 * scanning for the next frame after damage rarely computes a CRC.
 */
export function isFrameValid(buffer: Buffer, position: number, length: number, verifyCrc: boolean): boolean {
  if (length < FRAME_HEADER_BYTES + MIN_BODY_BYTES || position + length > buffer.length) return false;
  if (buffer[position + FRAME_HEADER_BYTES] !== FORMAT_VERSION) return false;
  const end = position + length;
  let p = position + TIMESTAMP_AT + 8;
  const keyLength = buffer.readInt32LE(p);
  p += 4;
  if (keyLength < -1 || (keyLength > 0 && p + keyLength > end - 8)) return false;
  if (keyLength > 0) p += keyLength;
  const headerCount = buffer.readUInt32LE(p);
  p += 4;
  for (let i = 0; i < headerCount; i++) {
    for (let part = 0; part < 2; part++) {
      if (p + 4 > end - 4) return false;
      const partLength = buffer.readUInt32LE(p);
      p += 4 + partLength;
      if (p > end - 4) return false;
    }
  }
  if (p + 4 > end) return false;
  if (p + 4 + buffer.readUInt32LE(p) !== end) return false;
  return !verifyCrc || crc32(buffer, position + FRAME_HEADER_BYTES, end) === buffer.readUInt32LE(position + 4);
}

export function frameTimestamp(buffer: Buffer, position: number): number {
  return buffer.readDoubleLE(position + TIMESTAMP_AT);
}

/**
 * Decodes the consecutive frames filling `buffer`, checking each CRC. Keys and values are views into
 * `buffer`, not copies.
 */
export function decodeFrames(buffer: Buffer, topic: string, partition: number, firstOffset: number): LogRecord[] {
  const records: LogRecord[] = [];
  let position = 0;
  while (position < buffer.length) {
    const length = position + FRAME_HEADER_BYTES <= buffer.length ? declaredFrameLength(buffer, position) : -1;
    if (length < 0 || position + length > buffer.length || !isFrameIntact(buffer, position, length, true)) {
      throw corrupt(topic, partition, firstOffset + records.length);
    }
    records.push(decodeBody(buffer, position, length, topic, partition, firstOffset + records.length));
    position += length;
  }
  return records;
}

/**
 * Decodes the one frame of `length` bytes at `position`, or answers undefined when it is damaged
 * (bad structure or CRC): the caller skips it and reports it.
 */
export function decodeFrame(buffer: Buffer, position: number, length: number, topic: string, partition: number, offset: number): LogRecord | undefined {
  if (!isFrameValid(buffer, position, length, true)) return undefined;
  return decodeBody(buffer, position, length, topic, partition, offset);
}

function decodeBody(buffer: Buffer, start: number, length: number, topic: string, partition: number, offset: number): LogRecord {
  const end = start + length;
  let p = start + TIMESTAMP_AT;
  const timestamp = buffer.readDoubleLE(p);
  p += 8;
  const keyLength = buffer.readInt32LE(p);
  p += 4;
  let key: Buffer | null = null;
  if (keyLength >= 0) {
    key = buffer.subarray(p, p + keyLength);
    p += keyLength;
  }
  const headerCount = buffer.readUInt32LE(p);
  p += 4;
  const headers: Record<string, string> = {};
  for (let i = 0; i < headerCount; i++) {
    const nameLength = buffer.readUInt32LE(p);
    const name = buffer.toString('utf8', p + 4, p + 4 + nameLength);
    p += 4 + nameLength;
    const valueLength = buffer.readUInt32LE(p);
    setHeader(headers, name, buffer.toString('utf8', p + 4, p + 4 + valueLength));
    p += 4 + valueLength;
  }
  const valueLength = buffer.readUInt32LE(p);
  p += 4;
  if (p + valueLength !== end) throw corrupt(topic, partition, offset);
  return { topic, partition, offset: String(offset), key, value: buffer.subarray(p, end), headers, timestamp };
}

function setHeader(headers: Record<string, string>, name: string, value: string): void {
  // A header named `__proto__` must become an own property, not the object's prototype.
  if (name === '__proto__') {
    Object.defineProperty(headers, name, { value, enumerable: true, writable: true, configurable: true });
  } else {
    headers[name] = value;
  }
}

function corrupt(topic: string, partition: number, offset: number): EmbeddedEventLogError {
  return new EmbeddedEventLogError('log_corrupted', `corrupt frame in ${topic}-${partition} at offset ${offset}`);
}
