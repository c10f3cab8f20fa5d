import { gzipSync } from 'node:zlib';
import { buildTar, buildTarGz } from '@telemetry/testing';
import { extractMmdb, readTarEntries } from './tar-archive.reader';

const LONG_DIR = `GeoLite2-City_20261128/${'x'.repeat(120)}`;

describe('the tar reader', () => {
  it('reads the regular files, directories and their names of a ustar archive', () => {
    const entries = readTarEntries(
      buildTar([
        { name: 'GeoLite2-City_20261128/', data: '', type: '5' },
        { name: 'GeoLite2-City_20261128/LICENSE.txt', data: 'licence' },
        { name: 'GeoLite2-City_20261128/GeoLite2-City.mmdb', data: Buffer.alloc(1500, 7) },
      ]),
    );
    expect(entries.map((entry) => [entry.name, entry.type, entry.data.length])).toEqual([
      ['GeoLite2-City_20261128/', '5', 0],
      ['GeoLite2-City_20261128/LICENSE.txt', '0', 7],
      ['GeoLite2-City_20261128/GeoLite2-City.mmdb', '0', 1500],
    ]);
    expect(entries[2].data.every((byte) => byte === 7)).toBe(true);
  });

  it.each(['pax', 'gnu'] as const)('reads names longer than 100 bytes (%s long names)', (longNames) => {
    const [entry] = readTarEntries(buildTar([{ name: `${LONG_DIR}/GeoLite2-City.mmdb`, data: 'db' }], { longNames }));
    expect(entry.name).toBe(`${LONG_DIR}/GeoLite2-City.mmdb`);
    expect(entry.data.toString()).toBe('db');
  });

  it('refuses a damaged header', () => {
    const archive = buildTar([{ name: 'a.mmdb', data: 'db' }]);
    archive[10] ^= 0xff;
    expect(() => readTarEntries(archive)).toThrow(expect.objectContaining({ code: 'archive_invalid' }));
  });

  it('refuses an entry that runs past the end of the archive', () => {
    const archive = buildTar([{ name: 'a.mmdb', data: Buffer.alloc(2000) }]).subarray(0, 1024);
    expect(() => readTarEntries(archive)).toThrow(expect.objectContaining({ code: 'archive_invalid' }));
  });

  it('extracts the .mmdb of a .tar.gz, skipping the licence texts', async () => {
    const archive = buildTarGz([
      { name: 'GeoLite2-ASN_20261128/COPYRIGHT.txt', data: 'c' },
      { name: 'GeoLite2-ASN_20261128/GeoLite2-ASN.mmdb', data: 'the database' },
    ]);
    const mmdb = await extractMmdb(archive, 1024 * 1024);
    expect(mmdb).toEqual({ name: 'GeoLite2-ASN_20261128/GeoLite2-ASN.mmdb', data: Buffer.from('the database') });
  });

  it('answers no_mmdb_in_archive, archive_invalid and archive_too_large', async () => {
    await expect(extractMmdb(buildTarGz([{ name: 'README.txt', data: 'r' }]), 1024)).rejects.toMatchObject({ code: 'no_mmdb_in_archive' });
    await expect(extractMmdb(Buffer.from('not gzip'), 1024)).rejects.toMatchObject({ code: 'archive_invalid' });
    // A small archive that unpacks far beyond the cap (a decompression bomb) stops at the cap.
    const bomb = gzipSync(buildTar([{ name: 'big.mmdb', data: Buffer.alloc(8 * 1024 * 1024) }]));
    expect(bomb.length).toBeLessThan(64 * 1024);
    await expect(extractMmdb(bomb, 1024)).rejects.toMatchObject({ code: 'archive_too_large' });
  });
});
