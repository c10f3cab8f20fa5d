import * as http from 'node:http';
import * as zlib from 'node:zlib';
import { performance } from 'node:perf_hooks';
import { generateDataset } from './bench-dataset';
import { postGzip } from './bench-http';

/**
 * An open-loop load at a steady rate: gzip batches posted on a fixed schedule (request i is due at
 * start + i × interval, whatever happened to the earlier ones), not when the previous answer came
 * back. A server that falls behind therefore sees requests pile up instead of being offered less,
 * which is what a latency figure "at 20k records/s" has to mean. When this process's event loop
 * wakes late (it runs the product too), the requests that fell due meanwhile go out at once, so the
 * offered rate holds and the lateness is reported.
 */

export interface LoadBody {
  readonly path: string;
  readonly gzip: Buffer;
  readonly records: number;
}

export interface PacedRequest {
  readonly seq: number;
  /** performance.now() when the request was due and when it was written. */
  readonly dueAt: number;
  readonly sentAt: number;
  ackAt?: number;
  status?: number;
  accepted?: number;
  error?: string;
  readonly records: number;
}

export interface PacedLoadResult {
  readonly startedAt: number;
  /** performance.now() when the last request was sent, and when the last answer arrived. */
  readonly lastSentAt: number;
  readonly finishedAt: number;
  readonly requests: readonly PacedRequest[];
  readonly maxInFlight: number;
}

/** performance.now() as epoch milliseconds (sub-ms), the clock Kafka timestamps (Date.now()) are on. */
export function epochMs(perfNow: number): number {
  return performance.timeOrigin + perfNow;
}

/**
 * `count` gzip bodies of `recordsPerRequest` records from the bench's dataset generator, cycled by
 * the load. `withoutCollector`: the envelope carries no collector_id, so the X-Collector-Id header
 * of each request names the collector (the latency stage gives every request its own).
 */
export function loadBodies(options: { seed: number; count: number; recordsPerRequest: number; withoutCollector: boolean }): LoadBody[] {
  const dataset = generateDataset({ seed: options.seed, batches: options.count, recordsPerBatch: options.recordsPerRequest });
  return dataset.batches.map((batch) => {
    if (!options.withoutCollector) return { path: batch.path, gzip: batch.gzip, records: batch.recordCount };
    const envelope = JSON.parse(batch.json.toString('utf8')) as Record<string, unknown>;
    delete envelope.collector_id;
    return { path: batch.path, gzip: zlib.gzipSync(Buffer.from(JSON.stringify(envelope)), { level: 6 }), records: batch.recordCount };
  });
}

export async function pacedLoad(options: {
  port: number;
  apiKey: string;
  bodies: readonly LoadBody[];
  recordsPerSec: number;
  durationMs: number;
  timeoutMs: number;
  /** The X-Collector-Id header of request `seq`, if any. */
  collectorOf?: (seq: number) => string;
  /** Called about every `tickMs` while the load runs (samplers); not awaited by the schedule. */
  onTick?: (elapsedMs: number, requests: readonly PacedRequest[]) => void;
  tickMs?: number;
}): Promise<PacedLoadResult> {
  const recordsPerRequest = options.bodies[0]?.records ?? 0;
  if (recordsPerRequest === 0) throw new Error('paced load: no bodies');
  const intervalMs = (recordsPerRequest * 1000) / options.recordsPerSec;
  const total = Math.max(1, Math.floor(options.durationMs / intervalMs));
  // Idle sockets are closed by this side after 2 s, before the server's keep-alive timeout (5 s) can
  // close one under a request just written to it (an ECONNRESET that is the client's, not the product's).
  const agent = new http.Agent({ keepAlive: true, maxSockets: 512, timeout: 2_000 });
  const requests: PacedRequest[] = [];
  const answers: Array<Promise<void>> = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const startedAt = performance.now();
  let nextTick = startedAt + (options.tickMs ?? Infinity);
  let seq = 0;
  try {
    while (seq < total) {
      const now = performance.now();
      while (seq < total && startedAt + seq * intervalMs <= now) {
        const body = options.bodies[seq % options.bodies.length];
        const request: PacedRequest = { seq, dueAt: startedAt + seq * intervalMs, sentAt: performance.now(), records: body.records };
        requests.push(request);
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        answers.push(
          postGzip(agent, options, body, options.collectorOf?.(seq)).then(
            (answer) => {
              inFlight--;
              request.ackAt = answer.doneAt;
              request.status = answer.status;
              request.accepted = answer.accepted;
              if (answer.status !== 202) request.error = answer.body.slice(0, 300);
            },
            (error: unknown) => {
              inFlight--;
              request.ackAt = performance.now();
              request.error = error instanceof Error ? error.message : String(error);
            },
          ),
        );
        seq++;
      }
      if (options.onTick && now >= nextTick) {
        options.onTick(now - startedAt, requests);
        nextTick += options.tickMs!;
      }
      if (seq < total) {
        const wait = Math.max(0, startedAt + seq * intervalMs - performance.now());
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
    }
    const lastSentAt = performance.now();
    await Promise.all(answers);
    return { startedAt, lastSentAt, finishedAt: performance.now(), requests, maxInFlight };
  } finally {
    agent.destroy();
  }
}
