/** CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), the checksum zlib and Ethernet use. */
const TABLE = buildTable();

function buildTable(): Int32Array {
  const table = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let bit = 0; bit < 8; bit++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c;
  }
  return table;
}

/** CRC-32 of `buffer[start, end)` as an unsigned 32-bit integer. */
export function crc32(buffer: Uint8Array, start = 0, end = buffer.length): number {
  let crc = -1;
  for (let i = start; i < end; i++) crc = TABLE[(crc ^ buffer[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ -1) >>> 0;
}
