import { open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';

let temporaryCounter = 0;

/**
 * Replaces `path` so that a crash leaves either the old or the new content: write a temporary file,
 * fsync it, rename it over the target, fsync the directory so the rename itself is durable.
 */
export async function writeFileAtomically(path: string, data: string | Buffer): Promise<void> {
  const temporary = `${path}.${process.pid}.${++temporaryCounter}.tmp`;
  try {
    const file = await open(temporary, 'w');
    try {
      await file.writeFile(data);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
  await syncDirectory(dirname(path));
}

/** Makes created, renamed and deleted directory entries durable. */
export async function syncDirectory(directory: string): Promise<void> {
  let handle;
  try {
    handle = await open(directory, 'r');
    await handle.sync();
  } catch (error) {
    // Some platforms (Windows) cannot open or fsync a directory; there is nothing more to do there.
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EINVAL' && code !== 'EBADF') throw error;
  } finally {
    await handle?.close();
  }
}

export function isTemporaryFile(name: string): boolean {
  return name.endsWith('.tmp');
}
