import type { EventLog } from '@telemetry/event-log';

/** Records ever written to a topic (the sum of its end offsets): "accepted" means written. */
export async function recordsWritten(log: EventLog, topic: string): Promise<number> {
  const offsets = await log.endOffsets(topic);
  return [...offsets.values()].reduce((sum, offset) => sum + Number(offset), 0);
}
