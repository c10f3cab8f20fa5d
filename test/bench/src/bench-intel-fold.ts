import { performance } from 'node:perf_hooks';
import { upcastControlEvent, type ControlEvent, type FeedEntry } from '@telemetry/contracts';
import { ControlPlaneService, ControlState, decideFeed, type DecideContext } from '@telemetry/control';
import { LiveThreatIntel } from '@telemetry/enricher';
import { parseCidr, type Indicator } from '@telemetry/enrichment';
import { Registry } from 'prom-client';
import { collectGarbage } from './bench-meter';

/** What folding one big feed through the control plane costs, end to end in one process. */
export interface IntelFoldResult {
  readonly indicators: number;
  /** The feed decider's diff of the first fetch against an empty feed, and the events it made. */
  readonly decideS: number;
  readonly events: number;
  readonly eventBytes: number;
  /** JSON round trip (as the log stores them), upcast, fold into the control state, and the live matcher's inserts. */
  readonly foldS: number;
  readonly foldCpuS: number;
  readonly indicatorsPerSec: number;
  /** A second fetch with 1% of the entries replaced: decide and fold the diff. */
  readonly resyncS: number;
  readonly resyncEvents: number;
  readonly matcherSize: number;
}

/**
 * A feed of `indicators` entries registered, fetched and folded the way the product does it: the
 * decider's RecordFeedFetch decision (its diff and the FeedIndicatorsChanged chunks), each event
 * serialized and read back as the log hands it to a process, folded into a ControlState, with a
 * LiveThreatIntel (the enricher's matcher) following the changes. Then a resync that replaces 1%.
 */
export function runIntelFold(generated: readonly Indicator[]): IntelFoldResult {
  const state = new ControlState();
  const registry = new Registry();
  const matcher = new LiveThreatIntel({ state } as ControlPlaneService, [], registry);
  let next = 0;
  const ctx: DecideContext = {
    now: new Date('2026-12-02T00:00:00Z'),
    actor: { system: 'feed-scheduler' },
    newEventId: () => `bench-${(next += 1)}`,
    defaultTenant: 'default',
  };
  state.apply({
    type: 'FeedRegistered',
    schemaVersion: 1,
    eventId: 'bench-feed',
    aggregateId: 'feed:bench',
    occurredAt: ctx.now.toISOString(),
    actor: { system: 'seed' },
    data: { feedId: 'bench', name: 'bench', url: 'http://127.0.0.1/feed.txt', format: 'plain', refreshS: 3600 },
  });
  const entries: FeedEntry[] = generated.map((indicator) => ({
    value: parseCidr(indicator.indicator)!.text,
    category: indicator.category,
    confidence: indicator.confidence,
  }));
  const fetch = (list: readonly FeedEntry[]) =>
    ({
      type: 'RecordFeedFetch',
      feedId: 'bench',
      at: ctx.now.toISOString(),
      outcome: { kind: 'fetched', entries: list, malformed: 0, malformedSample: [], skipped: 0 },
    }) as const;

  collectGarbage();
  const decideStart = performance.now();
  const decision = decideFeed(fetch(entries), state, ctx);
  if ('error' in decision) throw decision.error;
  const decideS = (performance.now() - decideStart) / 1000;
  const stored = decision.events.map((event) => JSON.stringify(event));

  const cpu = process.cpuUsage();
  const foldStart = performance.now();
  fold(state, stored);
  const foldS = (performance.now() - foldStart) / 1000;
  const cpuUsage = process.cpuUsage(cpu);
  if (matcher.size !== entries.length) throw new Error(`the matcher holds ${matcher.size} indicators after folding ${entries.length}`);

  // 1% replaced: as many removed as added.
  const changed = Math.max(1, Math.floor(entries.length / 100));
  const replaced = entries
    .slice(changed)
    .concat(entries.slice(0, changed).map((entry, i) => ({ ...entry, value: `100.${(i >> 16) & 63}.${(i >> 8) & 255}.${i & 255}/32` })));
  const resyncStart = performance.now();
  const resync = decideFeed(fetch(replaced), state, ctx);
  if ('error' in resync) throw resync.error;
  fold(
    state,
    resync.events.map((event) => JSON.stringify(event)),
  );
  const resyncS = (performance.now() - resyncStart) / 1000;
  return {
    indicators: entries.length,
    decideS,
    events: stored.length,
    eventBytes: stored.reduce((sum, text) => sum + text.length, 0),
    foldS,
    foldCpuS: (cpuUsage.user + cpuUsage.system) / 1e6,
    indicatorsPerSec: entries.length / foldS,
    resyncS,
    resyncEvents: resync.events.length,
    matcherSize: matcher.size,
  };
}

function fold(state: ControlState, stored: readonly string[]): void {
  for (const text of stored) state.apply(upcastControlEvent(JSON.parse(text)) as ControlEvent);
}
