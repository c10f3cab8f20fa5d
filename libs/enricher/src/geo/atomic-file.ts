import { randomUUID } from 'node:crypto';
import { mkdir, open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Replaces `path` with `data` so that a reader (the watcher of this or another process) sees the
 * old file or the new one, never a half-written one: write a temporary file in the same directory
 * (same filesystem, so rename is atomic), fsync it, rename it over the target, fsync the directory.
 */
export async function writeFileAtomic(path: string, data: Uint8Array): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  const temporary = join(dir, `.${basename(path)}.${randomUUID()}.tmp`);
  try {
    const file = await open(temporary, 'wx', 0o644);
    try {
      await file.writeFile(data);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temporary, path);
  } catch (error) {
    await unlink(temporary).catch(() => undefined);
    throw error;
  }
  // The rename is durable once the directory entry is: best effort, some filesystems refuse.
  const directory = await open(dir, 'r').catch(() => undefined);
  await directory
    ?.sync()
    .catch(() => undefined)
    .finally(() => directory.close());
}
