import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedEventLog, InMemoryEventLog } from '@telemetry/event-log';
import { describeEventLogTransportContract } from './testing/event-log-transport.contract';

describeEventLogTransportContract('in-memory', async () => {
  const log = new InMemoryEventLog();
  return { log, teardown: () => log.close() };
});

describeEventLogTransportContract('embedded', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'event-log-transport-'));
  const log = await EmbeddedEventLog.open({ dataDir, logger: { warn: () => undefined } });
  return {
    log,
    teardown: async () => {
      await log.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
});
