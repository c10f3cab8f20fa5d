import { batchCoordinatesOf, guardedCodec, registeredCodec, snappyAnyDecompress, snappyXerialCompress, UndecodableBatchError } from './kafka.codecs';
import { compressSync as rawSnappy } from 'snappy';

const text = Buffer.from('{"id.orig_h":"10.0.0.1","id.resp_h":"10.0.0.2"}\n'.repeat(3_000));

describe('Kafka codecs', () => {
  it.each(['gzip', 'snappy', 'lz4', 'zstd'] as const)('%s compresses and decompresses a record buffer', async (name) => {
    const codec = registeredCodec(name);
    const compressed = await codec.compress({ buffer: text });
    expect(compressed.length).toBeLessThan(text.length / 4);
    expect((await codec.decompress(compressed)).equals(text)).toBe(true);
  });

  it('reads snappy as the Java client writes it (xerial framing, several chunks) and as librdkafka does (one raw block)', async () => {
    const framed = await snappyXerialCompress(text);
    expect(framed.subarray(0, 8).toString('latin1')).toBe('\x82SNAPPY\x00');
    expect((await snappyAnyDecompress(framed)).equals(text)).toBe(true);
    expect((await snappyAnyDecompress(rawSnappy(text))).equals(text)).toBe(true);
  });

  it('names the batch a decode failure comes from, read from the header before the records', async () => {
    // A v2 batch header (61 bytes) followed by "compressed" records, as kafkajs hands them over: a view.
    const records = Buffer.from('not an lz4 frame');
    const batch = Buffer.alloc(61 + records.length);
    batch.writeBigInt64BE(4_242n, 0); // base offset
    batch.writeInt32BE(49 + records.length, 8); // length from the leader epoch on
    batch.writeInt8(2, 16); // magic
    batch.writeInt32BE(9, 23); // last offset delta
    batch.writeInt32BE(10, 57); // record count
    records.copy(batch, 61);
    const view = batch.subarray(61);
    batch.writeUInt32BE(0xdeadbeef, 17); // crc
    expect(batchCoordinatesOf(view)).toEqual({ baseOffset: '4242', lastOffset: '4251', records: 10, crc: 0xdeadbeef });
    const failure = await registeredCodec('lz4')
      .decompress(view)
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(failure).toBeDefined();
    const guarded = guardedCodec('lz4', registeredCodec('lz4'));
    const error = await guarded.decompress(view).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(UndecodableBatchError);
    expect((error as UndecodableBatchError).message).toMatch(
      /^a lz4 record batch at offsets 4242\.\.4251 \(10 records\), 16 compressed bytes, cannot be decoded: /,
    );
    expect((error as UndecodableBatchError).retriable).toBe(false);
  });

  it('gives no coordinates for a buffer that is not a view behind a batch header', () => {
    expect(batchCoordinatesOf(Buffer.from('standalone'))).toBeUndefined();
    const padded = Buffer.alloc(100);
    expect(batchCoordinatesOf(padded.subarray(61))).toBeUndefined();
  });
});
