import { open, readFile, realpath, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { EmbeddedEventLogError } from './embedded-event-log.errors';

const heldInThisProcess = new Set<string>();

/**
 * Keeps two logs from writing one data directory: a LOCK file with the owner's pid, taken over
 * when that process is gone (e.g. killed). Advisory and best effort, for one host.
 */
export class DataDirLock {
  private constructor(
    private readonly directory: string,
    private readonly lockPath: string,
  ) {}

  static async acquire(dataDir: string): Promise<DataDirLock> {
    const directory = await realpath(dataDir);
    if (heldInThisProcess.has(directory)) {
      throw new EmbeddedEventLogError('data_dir_locked', `${directory} is already open in this process`);
    }
    const lockPath = join(directory, 'LOCK');
    for (let attempt = 0; ; attempt++) {
      try {
        const file = await open(lockPath, 'wx');
        try {
          await file.writeFile(String(process.pid));
          await file.sync();
        } finally {
          await file.close();
        }
        heldInThisProcess.add(directory);
        return new DataDirLock(directory, lockPath);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw error;
        const owner = Number((await readFile(lockPath, 'utf8').catch(() => '')).trim());
        if (owner && owner !== process.pid && isAlive(owner)) {
          throw new EmbeddedEventLogError('data_dir_locked', `${directory} is in use by process ${owner}`);
        }
        await rm(lockPath, { force: true });
      }
    }
  }

  async release(): Promise<void> {
    await rm(this.lockPath, { force: true });
    heldInThisProcess.delete(this.directory);
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
