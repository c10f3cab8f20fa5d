import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomically } from './atomic-file.writer';
import { EmbeddedEventLogError } from './embedded-event-log.errors';

export interface StoredTopic {
  readonly name: string;
  readonly partitions: number;
  readonly retentionMs: number;
  readonly cleanupPolicy: 'delete' | 'compact';
}

interface TopicCatalogFile {
  readonly version: 1;
  readonly topics: readonly StoredTopic[];
}

/** Topic metadata (`topics.json`), replaced atomically whenever topics are added. */
export class TopicCatalogStore {
  private constructor(
    private readonly path: string,
    private readonly topics: Map<string, StoredTopic>,
  ) {}

  static async load(dataDir: string): Promise<TopicCatalogStore> {
    const path = join(dataDir, 'topics.json');
    const topics = new Map<string, StoredTopic>();
    let text: string | undefined;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    if (text !== undefined) {
      const parsed = parseCatalog(text, path);
      for (const topic of parsed.topics) topics.set(topic.name, topic);
    }
    return new TopicCatalogStore(path, topics);
  }

  get(name: string): StoredTopic | undefined {
    return this.topics.get(name);
  }

  list(): StoredTopic[] {
    return [...this.topics.values()];
  }

  async add(added: readonly StoredTopic[]): Promise<void> {
    const next = new Map(this.topics);
    for (const topic of added) next.set(topic.name, topic);
    const file: TopicCatalogFile = { version: 1, topics: [...next.values()] };
    await writeFileAtomically(this.path, `${JSON.stringify(file, null, 2)}\n`);
    for (const topic of added) this.topics.set(topic.name, topic);
  }
}

function parseCatalog(text: string, path: string): TopicCatalogFile {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new EmbeddedEventLogError('log_corrupted', `${path} is not valid JSON`, error);
  }
  const file = parsed as Partial<TopicCatalogFile> | null;
  const valid =
    file?.version === 1 &&
    Array.isArray(file.topics) &&
    file.topics.every(
      (topic) =>
        typeof topic?.name === 'string' &&
        Number.isInteger(topic.partitions) &&
        topic.partitions > 0 &&
        typeof topic.retentionMs === 'number' &&
        (topic.cleanupPolicy === 'delete' || topic.cleanupPolicy === 'compact'),
    );
  if (!valid) throw new EmbeddedEventLogError('log_corrupted', `${path} does not describe topics (version 1)`);
  return file as TopicCatalogFile;
}
