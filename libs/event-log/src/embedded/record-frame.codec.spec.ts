import { crc32 } from './crc32.checksum';
import { murmur2, partitionForKey } from './murmur2.partitioner';
import { declaredFrameLength, decodeFrame, decodeFrames, encodeFrames, isFrameValid } from './record-frame.codec';

describe('crc32', () => {
  it('matches the standard check values', () => {
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
    expect(crc32(Buffer.alloc(0))).toBe(0);
    expect(crc32(Buffer.from('The quick brown fox jumps over the lazy dog'))).toBe(0x414fa339);
  });
});

describe('murmur2', () => {
  it("matches Kafka's Utils.murmur2", () => {
    // Values from Kafka's UtilsTest / kafkajs.
    expect(murmur2(Buffer.from('21'))).toBe(-973932308);
    expect(murmur2(Buffer.from('foobar'))).toBe(-790332482);
    expect(murmur2(Buffer.from('a-little-bit-long-string'))).toBe(-985981536);
    expect(murmur2(Buffer.from('a-little-bit-longer-string'))).toBe(-1486304829);
    expect(murmur2(Buffer.from('lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8'))).toBe(-58897971);
    expect(murmur2(Buffer.from('abc'))).toBe(479470107);
    expect(murmur2(Buffer.alloc(0))).toBe(275646681);
  });

  it('maps keys to a partition in range', () => {
    for (let i = 0; i < 1000; i++) {
      const partition = partitionForKey(Buffer.from(`key-${i}`), 7);
      expect(partition).toBeGreaterThanOrEqual(0);
      expect(partition).toBeLessThan(7);
    }
  });
});

describe('record frames', () => {
  it('round-trip keys, values, headers and the timestamp', () => {
    const frames = encodeFrames(
      [
        { key: 'ключ', value: 'значение', headers: { a: '1', ü: 'ö' } },
        { key: Buffer.alloc(0), value: Buffer.from([0, 1, 2]) },
        { key: null, value: '' },
      ],
      1_700_000_000_123,
    );

    const records = decodeFrames(frames, 't', 3, 41);

    expect(records.map((r) => r.offset)).toEqual(['41', '42', '43']);
    expect(records.every((r) => r.topic === 't' && r.partition === 3 && r.timestamp === 1_700_000_000_123)).toBe(true);
    expect(records[0].key?.toString()).toBe('ключ');
    expect(records[0].value.toString()).toBe('значение');
    expect(records[0].headers).toEqual({ a: '1', ü: 'ö' });
    expect(records[1].key).toEqual(Buffer.alloc(0));
    expect(records[1].value).toEqual(Buffer.from([0, 1, 2]));
    expect(records[2].key).toBeNull();
    expect(records[2].headers).toEqual({});
  });

  it('keeps a header named __proto__ as a plain header', () => {
    const headers = JSON.parse('{"__proto__":"x","b":"y"}') as Record<string, string>;
    const [record] = decodeFrames(encodeFrames([{ value: 'v', headers }], 1), 't', 0, 0);
    expect(Object.keys(record.headers)).toEqual(['__proto__', 'b']);
    expect(Object.getPrototypeOf(record.headers)).toBe(Object.prototype);
  });

  it('rejects a frame whose checksum does not match', () => {
    const frames = encodeFrames([{ value: 'payload' }], 1);
    frames[frames.length - 1] ^= 1;
    expect(() => decodeFrames(frames, 't', 0, 0)).toThrow(expect.objectContaining({ code: 'log_corrupted' }));
  });

  it('decodes one frame in place, and answers undefined for a damaged one instead of throwing', () => {
    const frames = encodeFrames([{ key: 'k', value: 'first', headers: { h: '1' } }, { value: 'second' }], 7);
    const firstLength = declaredFrameLength(frames, 0);
    expect(decodeFrame(frames, firstLength, frames.length - firstLength, 't', 0, 1)?.value.toString()).toBe('second');

    frames[firstLength - 1] ^= 1;
    expect(decodeFrame(frames, 0, firstLength, 't', 0, 0)).toBeUndefined();
    // Without the CRC the structure still holds (a body bit flip keeps every length intact).
    expect(isFrameValid(frames, 0, firstLength, false)).toBe(true);
  });

  it('rejects as a frame any stretch whose fields do not walk exactly to its declared length', () => {
    const frames = encodeFrames([{ key: 'key', value: 'value', headers: { a: 'b' } }], 7);
    expect(isFrameValid(frames, 0, frames.length, true)).toBe(true);
    for (const length of [frames.length - 1, frames.length + 1, 28]) {
      expect(isFrameValid(Buffer.concat([frames, Buffer.alloc(1)]), 0, length, false)).toBe(false);
    }
    const badVersion = Buffer.from(frames);
    badVersion[8] = 2;
    expect(isFrameValid(badVersion, 0, frames.length, false)).toBe(false);
  });
});
