import { gzipSync } from 'node:zlib';

export interface TarFixtureEntry {
  readonly name: string;
  readonly data: Buffer | string;
  /** ustar typeflag; '0' (a regular file) by default, '5' for a directory. */
  readonly type?: string;
}

const BLOCK = 512;

function header(name: string, size: number, type: string): Buffer {
  const block = Buffer.alloc(BLOCK);
  block.write(name.slice(0, 100), 0, 'utf8');
  block.write('0000644\0', 100, 'ascii');
  block.write('0000000\0', 108, 'ascii');
  block.write('0000000\0', 116, 'ascii');
  block.write(`${size.toString(8).padStart(11, '0')}\0`, 124, 'ascii');
  block.write(
    `${Math.floor(Date.UTC(2026, 10, 28) / 1000)
      .toString(8)
      .padStart(11, '0')}\0`,
    136,
    'ascii',
  );
  block.write('        ', 148, 'ascii');
  block.write(type, 156, 'ascii');
  block.write('ustar\0', 257, 'ascii');
  block.write('00', 263, 'ascii');
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return block;
}

function record(name: string, data: Buffer, type: string): Buffer[] {
  const padding = Buffer.alloc((BLOCK - (data.length % BLOCK)) % BLOCK);
  return [header(name, data.length, type), data, padding];
}

/**
 * A tar archive as GNU tar writes MaxMind's (ustar headers; a name over 100 bytes as a pax
 * `path` record when `longNames` is 'pax', or a GNU `././@LongLink` entry when 'gnu').
 */
export function buildTar(entries: readonly TarFixtureEntry[], options: { longNames?: 'pax' | 'gnu' } = {}): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    const data = typeof entry.data === 'string' ? Buffer.from(entry.data) : entry.data;
    if (Buffer.byteLength(entry.name) > 100) {
      if (options.longNames === 'gnu') parts.push(...record('././@LongLink', Buffer.from(`${entry.name}\0`), 'L'));
      else {
        const line = (length: number) => `${length} path=${entry.name}\n`;
        let length = line(0).length;
        while (line(length).length !== length) length = line(length).length;
        parts.push(...record('PaxHeader', Buffer.from(line(length)), 'x'));
      }
    }
    parts.push(...record(entry.name, data, entry.type ?? '0'));
  }
  parts.push(Buffer.alloc(BLOCK * 2));
  return Buffer.concat(parts);
}

/** A `.tar.gz` of the entries, as MaxMind serves an edition (`GeoLite2-City_20261128/GeoLite2-City.mmdb` and licence texts). */
export function buildTarGz(entries: readonly TarFixtureEntry[], options: { longNames?: 'pax' | 'gnu' } = {}): Buffer {
  return gzipSync(buildTar(entries, options));
}
