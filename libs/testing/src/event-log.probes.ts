import { frameRecords } from '@telemetry/contracts';
import type { EventLog, LogRecord } from '@telemetry/event-log';

/** Messages ever written to a topic (the sum of its end offsets); a frame of many records is one. */
export async function messagesWritten(log: EventLog, topic: string): Promise<number> {
  const offsets = await log.endOffsets(topic);
  return [...offsets.values()].reduce((sum, offset) => sum + Number(offset), 0);
}

/**
 * Every record of a topic as it is now, read through a tail (no group) up to its end offsets: the
 * lines of each frame (record-frames.ts) as records of their own, other messages as they are.
 */
export async function recordsOfTopic(log: EventLog, topic: string, timeoutMs = 30_000): Promise<LogRecord[]> {
  const messages = new Map<string, LogRecord>();
  const tail = await log.tail({
    topics: [topic],
    handler: async (batch) => {
      for (const record of batch.records) messages.set(`${record.partition}:${record.offset}`, record);
    },
  });
  try {
    await tail.caughtUp({ timeoutMs });
  } finally {
    await tail.close();
  }
  const ordered = [...messages.values()].sort((a, b) => a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset)));
  return frameRecords(ordered);
}

/** Records ever written to a topic and still retained: "accepted" means written. A frame counts its lines. */
export async function recordsWritten(log: EventLog, topic: string): Promise<number> {
  return (await recordsOfTopic(log, topic)).length;
}
