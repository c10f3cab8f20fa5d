/*
 * Child process for the embedded log's crash test: opens the log in argv[2], then publishes to
 * topic argv[3] from a few concurrent writers forever, printing `acked <writer> <count>` after each
 * publish resolves. The parent SIGKILLs it mid-stream and checks every acked record survived.
 */
import { EmbeddedEventLog } from '../embedded/embedded.event-log';

const WRITERS = 3;
const RECORDS_PER_PUBLISH = 200;
const VALUE_PADDING = 'x'.repeat(280);

async function main(): Promise<void> {
  const [dataDir, topic] = process.argv.slice(2);
  const log = await EmbeddedEventLog.open({ dataDir });
  await log.ensureTopics([{ name: topic, partitions: 2, retentionMs: -1 }]);
  process.stdout.write('ready\n');
  await Promise.all(
    Array.from({ length: WRITERS }, async (_, writer) => {
      const key = `writer-${writer}`;
      for (let count = 0; ;) {
        const records = Array.from({ length: RECORDS_PER_PUBLISH }, (_, i) => ({
          key,
          value: `${key}:${count + i}:${VALUE_PADDING}`,
        }));
        await log.publish(topic, records);
        count += records.length;
        // stdout to a pipe is synchronous on Linux: the line is out before the next await.
        process.stdout.write(`acked ${key} ${count}\n`);
      }
    }),
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
