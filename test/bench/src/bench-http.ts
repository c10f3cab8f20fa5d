import * as http from 'node:http';
import type { DatasetBatch } from './bench-dataset';

export interface PostOutcome {
  readonly batch: number;
  readonly status: number;
  readonly accepted: number;
  readonly rejected: number;
  readonly latencyMs: number;
  /** When the response arrived (performance.now()). */
  readonly doneAt: number;
  readonly body: string;
}

export interface PostAllResult {
  readonly startedAt: number;
  readonly finishedAt: number;
  readonly outcomes: readonly PostOutcome[];
}

/**
 * Posts pre-gzipped batches over real HTTP (loopback, keep-alive) with at most `concurrency`
 * requests in flight, in dataset order. Bodies are built before the clock starts, so the client's
 * cost in this process is only socket I/O and parsing a small JSON answer per batch.
 */
export async function postBatches(options: {
  port: number;
  apiKey: string;
  batches: readonly DatasetBatch[];
  concurrency: number;
  timeoutMs: number;
}): Promise<PostAllResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.concurrency });
  const outcomes: PostOutcome[] = [];
  let next = 0;
  const startedAt = performance.now();
  const worker = async (): Promise<void> => {
    while (next < options.batches.length) {
      const batch = options.batches[next++];
      outcomes.push(await postOne(agent, options.port, options.apiKey, batch, options.timeoutMs));
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(options.concurrency, options.batches.length) }, worker));
  } finally {
    agent.destroy();
  }
  const finishedAt = performance.now();
  outcomes.sort((a, b) => a.batch - b.batch);
  return { startedAt, finishedAt, outcomes };
}

function postOne(agent: http.Agent, port: number, apiKey: string, batch: DatasetBatch, timeoutMs: number): Promise<PostOutcome> {
  return new Promise((resolve, reject) => {
    const sentAt = performance.now();
    const request = http.request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: batch.path,
        agent,
        timeout: timeoutMs,
        headers: {
          Authorization: `Bearer ${apiKey}`,
          'Content-Type': 'application/json',
          'Content-Encoding': 'gzip',
          'Content-Length': String(batch.gzip.length),
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () => {
          const doneAt = performance.now();
          const body = Buffer.concat(chunks).toString('utf8');
          let accepted = 0;
          let rejected = 0;
          try {
            const parsed = JSON.parse(body) as { accepted?: number; rejected?: number };
            accepted = parsed.accepted ?? 0;
            rejected = parsed.rejected ?? 0;
          } catch {
            // Reported through status and body below.
          }
          resolve({ batch: batch.index, status: response.statusCode ?? 0, accepted, rejected, latencyMs: doneAt - sentAt, doneAt, body });
        });
      },
    );
    request.on('timeout', () => request.destroy(new Error(`POST ${batch.path} (batch ${batch.index}) timed out after ${timeoutMs} ms`)));
    request.on('error', reject);
    request.end(batch.gzip);
  });
}

/** Throws unless every batch was answered 202 with all of its records accepted. */
export function assertAllAccepted(result: PostAllResult, batches: readonly DatasetBatch[]): void {
  for (const outcome of result.outcomes) {
    const expected = batches[outcome.batch].recordCount;
    if (outcome.status !== 202 || outcome.accepted !== expected || outcome.rejected !== 0) {
      throw new Error(
        `batch ${outcome.batch}: expected 202 with ${expected} accepted, got ${outcome.status} ` +
          `(accepted ${outcome.accepted}, rejected ${outcome.rejected}): ${outcome.body.slice(0, 400)}`,
      );
    }
  }
}

/** GET returning status and body. */
export function getText(port: number, path: string, apiKey: string): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const request = http.request({ host: '127.0.0.1', port, path, method: 'GET', headers: { Authorization: `Bearer ${apiKey}` } }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', reject);
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), headers: response.headers }));
    });
    request.on('error', reject);
    request.end();
  });
}
