import { promisify } from 'node:util';
import * as zlib from 'node:zlib';
import { CompressionCodecs, CompressionTypes } from 'kafkajs';
// lz4-napi (napi-rs over the Rust lz4_flex): prebuilt binaries as optional dependencies, no install
// script, LZ4 *frame* format (what Kafka's record batches carry since magic v2), maintained. Rejected:
// `lz4` and kafkajs-lz4 (node-gyp build at install), lz4js (pure JS, unmaintained since 2017).
import { compressFrame as lz4CompressFrame, decompressFrame as lz4DecompressFrame } from 'lz4-napi';
// snappy (napi-rs, the most used snappy binding): prebuilt optional dependencies, no install script.
// Rejected: kafkajs-snappy/snappyjs (pure JS, several times slower on the decode hot path).
import { compress as snappyCompress, uncompress as snappyUncompress } from 'snappy';

// zstd needs no package: Node 24's zlib has it (zstdCompress/zstdDecompress, libzstd inside Node).
const zstdCompress = promisify(zlib.zstdCompress);
const zstdDecompress = promisify(zlib.zstdDecompress);
const gzip = promisify(zlib.gzip);
const unzip = promisify(zlib.unzip);

/** The codecs of a Kafka record batch (attributes bits 0-2), as KAFKA_COMPRESSION names them. */
export type KafkaCompression = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';
export const KAFKA_COMPRESSIONS: readonly KafkaCompression[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];

export function compressionType(compression: KafkaCompression): CompressionTypes {
  switch (compression) {
    case 'none':
      return CompressionTypes.None;
    case 'gzip':
      return CompressionTypes.GZIP;
    case 'snappy':
      return CompressionTypes.Snappy;
    case 'lz4':
      return CompressionTypes.LZ4;
    case 'zstd':
      return CompressionTypes.ZSTD;
  }
}

/** What kafkajs calls for one record batch: `compress(encoder)` on produce, `decompress(bytes)` on fetch. */
export interface KafkaCodec {
  compress(encoder: { buffer: Buffer }): Promise<Buffer>;
  decompress(buffer: Buffer): Promise<Buffer>;
}

/** Where an undecodable batch sits, read from its own header (the partition is not in it). */
export interface BatchCoordinates {
  readonly baseOffset: string;
  readonly lastOffset: string;
  readonly records: number;
  /** The batch's CRC-32C, which with the base offset tells batches apart. */
  readonly crc: number;
}

/**
 * A fetched record batch whose records cannot be decompressed (a corrupt batch, or a codec that
 * fails). Not retriable for kafkajs: the adapter restarts the consumer itself, with backoff.
 */
export class UndecodableBatchError extends Error {
  readonly code = 'undecodable_batch';
  readonly retriable = false;
  /** A copy of the batch's compressed records (what a dead letter keeps of them). */
  readonly compressed: Buffer;
  constructor(
    readonly codec: string,
    readonly coordinates: BatchCoordinates | undefined,
    compressed: Buffer,
    cause: unknown,
  ) {
    const at = coordinates ? `offsets ${coordinates.baseOffset}..${coordinates.lastOffset} (${coordinates.records} records)` : 'unknown offsets';
    const why = cause instanceof Error ? cause.message : String(cause);
    super(`a ${codec} record batch at ${at}, ${compressed.length} compressed bytes, cannot be decoded: ${why}`, { cause });
    this.compressed = Buffer.from(compressed);
    this.name = 'UndecodableBatchError';
  }
}

/** Bytes of a v2 record batch header before its records: base offset (8) … record count (4). */
const BATCH_HEADER_BYTES = 61;
/** The batch's length field counts from the partition leader epoch: the header less offset and length. */
const LENGTH_FIELD_OVERHEAD = BATCH_HEADER_BYTES - 12;

/**
 * kafkajs hands a codec the compressed records as a view into the fetched batch, right after the
 * 61-byte batch header; the header gives the offsets. Checked (magic 2, length field matching) so a
 * buffer that is not such a view yields no coordinates rather than wrong ones.
 */
export function batchCoordinatesOf(compressed: Buffer): BatchCoordinates | undefined {
  if (compressed.byteOffset < BATCH_HEADER_BYTES) return undefined;
  const header = Buffer.from(compressed.buffer, compressed.byteOffset - BATCH_HEADER_BYTES, BATCH_HEADER_BYTES);
  if (header.readInt8(16) !== 2 || header.readInt32BE(8) !== compressed.length + LENGTH_FIELD_OVERHEAD) return undefined;
  const baseOffset = header.readBigInt64BE(0);
  return {
    baseOffset: baseOffset.toString(),
    lastOffset: (baseOffset + BigInt(header.readInt32BE(23))).toString(),
    records: header.readInt32BE(57),
    crc: header.readUInt32BE(17),
  };
}

/**
 * kafkajs's retrier rethrows a non-retriable error as a new KafkaJSNonRetriableError that keeps only
 * the message, so the consumer's crash does not carry the UndecodableBatchError: the last ones are
 * kept here, by message, for the adapter to find (undecodableBatchFor).
 */
const recentUndecodable = new Map<string, UndecodableBatchError>();

/** The UndecodableBatchError a crash's message came from, if a guarded codec raised it lately. */
export function undecodableBatchFor(message: string): UndecodableBatchError | undefined {
  return recentUndecodable.get(message);
}

/** Batches the adapter gave up on (dead-lettered): base offset + CRC → record count. */
const givenUp = new Map<string, number>();
const batchKey = (coordinates: BatchCoordinates) => `${coordinates.baseOffset}|${coordinates.crc}`;

/**
 * From now on a failing decode of this batch yields placeholder records (no key, no value) at its
 * offsets instead of an error, so the records fetched with it are handed over; the adapter leaves
 * the placeholders out (it knows the offsets it gave up on) and commits past them.
 */
export function giveUpOnBatch(coordinates: BatchCoordinates): void {
  givenUp.set(batchKey(coordinates), coordinates.records);
  if (givenUp.size > 1_000) givenUp.delete(givenUp.keys().next().value as string);
}

/** `count` records of the v2 format with offset deltas 0..count-1, null key and value, no headers. */
export function placeholderRecords(count: number): Buffer {
  const varint = (value: number) => {
    const bytes: number[] = [];
    let rest = value;
    while (rest >= 0x80) {
      bytes.push((rest & 0x7f) | 0x80);
      rest = Math.floor(rest / 128);
    }
    bytes.push(rest);
    return bytes;
  };
  const out: number[] = [];
  for (let index = 0; index < count; index += 1) {
    // attributes, timestamp delta 0, offset delta (zigzag), key -1 and value -1 (zigzag 1), 0 headers.
    const body = [0, 0, ...varint(index * 2), 1, 1, 0];
    out.push(...varint(body.length * 2), ...body);
  }
  return Buffer.from(out);
}

/** A codec whose decode failures say which batch failed (UndecodableBatchError). */
export function guardedCodec(name: string, codec: KafkaCodec): KafkaCodec {
  return {
    compress: (encoder) => codec.compress(encoder),
    decompress: async (buffer) => {
      try {
        return await codec.decompress(buffer);
      } catch (error) {
        const coordinates = batchCoordinatesOf(buffer);
        const placeholders = coordinates ? givenUp.get(batchKey(coordinates)) : undefined;
        if (placeholders !== undefined) return placeholderRecords(placeholders);
        const undecodable = new UndecodableBatchError(name, coordinates, buffer, error);
        recentUndecodable.delete(undecodable.message);
        recentUndecodable.set(undecodable.message, undecodable);
        if (recentUndecodable.size > 100) recentUndecodable.delete(recentUndecodable.keys().next().value as string);
        throw undecodable;
      }
    },
  };
}

/**
 * Snappy in Kafka: the Java client writes (and reads) xerial's framing, a 16-byte header then
 * [4-byte big-endian length][raw snappy block] chunks; librdkafka (kcat, Zeek's plugin) writes one raw
 * snappy block. Both are read; the xerial framing is written, which every client reads.
 */
const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER = Buffer.concat([XERIAL_MAGIC, Buffer.from([0, 0, 0, 1, 0, 0, 0, 1])]);
const XERIAL_CHUNK_BYTES = 32 * 1024;

export async function snappyXerialCompress(data: Buffer): Promise<Buffer> {
  const parts: Buffer[] = [XERIAL_HEADER];
  for (let start = 0; start < data.length; start += XERIAL_CHUNK_BYTES) {
    const block = await snappyCompress(data.subarray(start, start + XERIAL_CHUNK_BYTES));
    const length = Buffer.alloc(4);
    length.writeUInt32BE(block.length);
    parts.push(length, block);
  }
  return Buffer.concat(parts);
}

export async function snappyAnyDecompress(data: Buffer): Promise<Buffer> {
  if (data.length < XERIAL_HEADER.length || !data.subarray(0, XERIAL_MAGIC.length).equals(XERIAL_MAGIC)) {
    return (await snappyUncompress(data)) as Buffer;
  }
  const parts: Buffer[] = [];
  let at = XERIAL_HEADER.length;
  while (at < data.length) {
    if (at + 4 > data.length) throw new Error('truncated xerial snappy chunk length');
    const length = data.readUInt32BE(at);
    at += 4;
    if (at + length > data.length) throw new Error('truncated xerial snappy chunk');
    parts.push((await snappyUncompress(data.subarray(at, at + length))) as Buffer);
    at += length;
  }
  return Buffer.concat(parts);
}

type CompressedType = CompressionTypes.GZIP | CompressionTypes.Snappy | CompressionTypes.LZ4 | CompressionTypes.ZSTD;

const CODECS: Readonly<Record<Exclude<KafkaCompression, 'none'>, { type: CompressedType; codec: KafkaCodec }>> = {
  gzip: { type: CompressionTypes.GZIP, codec: { compress: (encoder) => gzip(encoder.buffer), decompress: (buffer) => unzip(buffer) } },
  snappy: { type: CompressionTypes.Snappy, codec: { compress: (encoder) => snappyXerialCompress(encoder.buffer), decompress: snappyAnyDecompress } },
  lz4: { type: CompressionTypes.LZ4, codec: { compress: (encoder) => lz4CompressFrame(encoder.buffer), decompress: (buffer) => lz4DecompressFrame(buffer) } },
  zstd: { type: CompressionTypes.ZSTD, codec: { compress: (encoder) => zstdCompress(encoder.buffer), decompress: (buffer) => zstdDecompress(buffer) } },
};

let registered = false;

/**
 * Puts gzip, snappy, lz4 and zstd in kafkajs's codec registry (process-wide; kafkajs 2.2.4 has gzip
 * only), each guarded so a decode failure names its batch. Idempotent: the adapter calls it on connect.
 */
export function registerKafkaCodecs(): void {
  if (registered) return;
  registered = true;
  for (const [name, { type, codec }] of Object.entries(CODECS)) {
    const guarded = guardedCodec(name, codec);
    CompressionCodecs[type] = () => guarded;
  }
}

/** The codec registered for a compression (tests wrap it to inject a fault, then put it back). */
export function registeredCodec(compression: Exclude<KafkaCompression, 'none'>): KafkaCodec {
  registerKafkaCodecs();
  return CODECS[compression].codec;
}
