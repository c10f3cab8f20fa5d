import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { isTemporaryFile, writeFileAtomically } from './atomic-file.writer';
import { EmbeddedEventLogError } from './embedded-event-log.errors';

type TopicOffsets = ReadonlyMap<number, number>;
type GroupOffsets = ReadonlyMap<string, TopicOffsets>;

interface GroupOffsetsFile {
  readonly version: 1;
  readonly groupId: string;
  /** topic → partition → next offset to read, as decimal strings like the port's offsets. */
  readonly offsets: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

/**
 * Committed offsets of every consumer group, one JSON file per group under `groups/`, each commit
 * replacing the group's file atomically.
 *
 * A file that is truncated or unparseable (atomic replacement means a crash cannot cause that, so
 * it is outside damage: a disk fault, a hand edit, a partial restore) stops the open with an error
 * naming it. It is not rebuilt: the store cannot know where the group was, and either guess is
 * wrong for someone (from the beginning redelivers everything; from the end loses what was
 * unread), so the operator chooses: restore the file, or delete it to let the group start afresh.
 */
export class GroupOffsetsStore {
  private readonly writes = new Map<string, Promise<void>>();

  private constructor(
    private readonly directory: string,
    private readonly groups: Map<string, GroupOffsets>,
  ) {}

  static async load(dataDir: string): Promise<GroupOffsetsStore> {
    const directory = join(dataDir, 'groups');
    await mkdir(directory, { recursive: true });
    const groups = new Map<string, GroupOffsets>();
    for (const name of await readdir(directory)) {
      const path = join(directory, name);
      if (isTemporaryFile(name)) {
        await rm(path, { force: true });
      } else if (name.endsWith('.json')) {
        const file = parseGroupFile(await readFile(path, 'utf8'), path);
        groups.set(file.groupId, toMaps(file));
      }
    }
    return new GroupOffsetsStore(directory, groups);
  }

  /** Every committed offset of every group. */
  *entries(): Generator<{ groupId: string; topic: string; partition: number; offset: number }> {
    for (const [groupId, topics] of this.groups) {
      for (const [topic, partitions] of topics) {
        for (const [partition, offset] of partitions) yield { groupId, topic, partition, offset };
      }
    }
  }

  committed(groupId: string, topic: string): TopicOffsets {
    return this.groups.get(groupId)?.get(topic) ?? new Map();
  }

  /** Persists `offset` as the group's next offset for the partition; resolves once it is durable. */
  commit(groupId: string, topic: string, partition: number, offset: number): Promise<void> {
    const previous = this.writes.get(groupId) ?? Promise.resolve();
    const write = previous
      .catch(() => undefined)
      .then(async () => {
        const current = this.groups.get(groupId) ?? new Map<string, TopicOffsets>();
        const next = new Map(current);
        next.set(topic, new Map(current.get(topic)).set(partition, offset));
        await writeFileAtomically(this.pathOf(groupId), `${JSON.stringify(toFile(groupId, next))}\n`);
        this.groups.set(groupId, next);
      });
    this.writes.set(groupId, write);
    void write
      .finally(() => {
        if (this.writes.get(groupId) === write) this.writes.delete(groupId);
      })
      .catch(() => undefined);
    return write;
  }

  private pathOf(groupId: string): string {
    // Any string can be a group id; keep the file name portable and bounded.
    let name = encodeURIComponent(groupId).replace(/[.*!'()~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
    if (name.length > 120) {
      name = `${name.slice(0, 80)}-${createHash('sha256').update(groupId).digest('hex').slice(0, 32)}`;
    }
    return join(this.directory, `${name}.json`);
  }
}

function toMaps(file: GroupOffsetsFile): GroupOffsets {
  const groups = new Map<string, TopicOffsets>();
  for (const [topic, partitions] of Object.entries(file.offsets)) {
    groups.set(topic, new Map(Object.entries(partitions).map(([partition, offset]) => [Number(partition), Number(offset)])));
  }
  return groups;
}

function toFile(groupId: string, offsets: GroupOffsets): GroupOffsetsFile {
  // fromEntries defines own properties, so even a topic named `__proto__` round-trips.
  const topics = Object.fromEntries(
    [...offsets].map(([topic, partitions]) => [topic, Object.fromEntries([...partitions].map(([partition, offset]) => [String(partition), String(offset)]))]),
  );
  return { version: 1, groupId, offsets: topics };
}

const REMEDY =
  'The log was not opened. Restore this file from a backup, or delete it: the group then starts ' +
  'again like a new one (at the beginning or the end of each partition, as its subscription asks).';

function parseGroupFile(text: string, path: string): GroupOffsetsFile {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new EmbeddedEventLogError('log_corrupted', `${path} is not valid JSON (truncated or damaged). ${REMEDY}`, error);
  }
  const file = parsed as Partial<GroupOffsetsFile> | null;
  const valid =
    file?.version === 1 &&
    typeof file.groupId === 'string' &&
    typeof file.offsets === 'object' &&
    file.offsets !== null &&
    Object.values(file.offsets).every(
      (partitions) =>
        typeof partitions === 'object' &&
        partitions !== null &&
        Object.entries(partitions).every(([partition, offset]) => /^\d+$/.test(partition) && /^\d+$/.test(String(offset))),
    );
  if (!valid) {
    throw new EmbeddedEventLogError('log_corrupted', `${path} does not describe committed offsets (version 1). ${REMEDY}`);
  }
  return file as GroupOffsetsFile;
}
