import { FakeHecOptions, startFakeHec } from '@telemetry/testing';

/**
 * The fake HEC of libs/testing in a process of its own, for the sink stage: a real HEC runs on
 * other machines, so the fake's own work (gunzip, splitting and parsing every event) must not
 * share the measured process's event loop or count as its CPU. Started by `bench-sink.ts` with
 * the fake's options as JSON in argv[2]; answers over the IPC channel. It keeps running totals
 * instead of every event and request (a run would otherwise hold all the bodies it received).
 */

export type FakeHecCommand = { readonly type: 'count' } | { readonly type: 'close' };

export interface FakeHecTotals {
  /** Events accepted so far. */
  readonly events: number;
  /** Distinct `event_id`s among them (fewer than `events`: duplicates arrived). */
  readonly distinctEventIds: number;
  /** Requests answered on services/collector[/event] and on services/collector/ack. */
  readonly eventRequests: number;
  readonly ackRequests: number;
  /** Answered with something other than 200. */
  readonly refusedRequests: number;
}

export type FakeHecMessage = { readonly type: 'ready'; readonly url: string; readonly token: string } | ({ readonly type: 'count' } & FakeHecTotals);

async function main(): Promise<void> {
  const options = JSON.parse(process.argv[2] ?? '{}') as FakeHecOptions;
  const fake = await startFakeHec(options);
  const ids = new Set<string>();
  let events = 0;
  let eventRequests = 0;
  let ackRequests = 0;
  let refusedRequests = 0;

  const fold = (): FakeHecTotals => {
    for (const received of fake.events) {
      events += 1;
      const id = (received.event as { event_id?: unknown } | null)?.event_id;
      if (typeof id === 'string') ids.add(id);
    }
    fake.events.length = 0;
    // Requests still being handled stay (their answer is not known yet); the others are counted and dropped.
    const pending = fake.requests.filter((request) => request.status === null && !request.dropped);
    for (const request of fake.requests) {
      if (request.status === null && !request.dropped) continue;
      if (request.endpoint === 'event') eventRequests += 1;
      else if (request.endpoint === 'ack') ackRequests += 1;
      if (request.status !== 200) refusedRequests += 1;
    }
    fake.requests.length = 0;
    fake.requests.push(...pending);
    return { events, distinctEventIds: ids.size, eventRequests, ackRequests, refusedRequests };
  };

  const reply = (message: FakeHecMessage) => process.send?.(message);
  process.on('message', (command: FakeHecCommand) => {
    if (command.type === 'count') reply({ type: 'count', ...fold() });
    if (command.type === 'close') void fake.close().finally(() => process.exit(0));
  });
  // The bench went away (finished, or killed): so does its fake HEC.
  process.on('disconnect', () => void fake.close().finally(() => process.exit(0)));
  reply({ type: 'ready', url: fake.url, token: fake.tokens[0] });
}

main().catch((error: unknown) => {
  process.stderr.write(`bench fake HEC failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
