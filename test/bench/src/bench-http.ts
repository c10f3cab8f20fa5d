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

async function postOne(agent: http.Agent, port: number, apiKey: string, batch: DatasetBatch, timeoutMs: number): Promise<PostOutcome> {
  const sentAt = performance.now();
  const answer = await postGzip(agent, { port, apiKey, timeoutMs }, batch, undefined, `batch ${batch.index}`);
  return {
    batch: batch.index,
    status: answer.status,
    accepted: answer.accepted,
    rejected: answer.rejected,
    latencyMs: answer.doneAt - sentAt,
    doneAt: answer.doneAt,
    body: answer.body,
  };
}

/** What the ingest API answered to one gzip POST: status, body, its accepted/rejected counts when it is JSON, and when it ended. */
export interface GzipAnswer {
  readonly status: number;
  readonly accepted: number;
  readonly rejected: number;
  readonly body: string;
  readonly doneAt: number;
}

/** POSTs a pre-gzipped JSON body to the ingest API on this host, with an X-Collector-Id when given. */
export function postGzip(
  agent: http.Agent,
  options: { readonly port: number; readonly apiKey: string; readonly timeoutMs: number },
  body: { readonly path: string; readonly gzip: Buffer },
  collectorId: string | undefined,
  what = '',
): Promise<GzipAnswer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {
      Authorization: `Bearer ${options.apiKey}`,
      'Content-Type': 'application/json',
      'Content-Encoding': 'gzip',
      'Content-Length': String(body.gzip.length),
    };
    if (collectorId) headers['X-Collector-Id'] = collectorId;
    const request = http.request(
      { host: '127.0.0.1', port: options.port, method: 'POST', path: body.path, agent, timeout: options.timeoutMs, headers },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () => {
          const doneAt = performance.now();
          const text = Buffer.concat(chunks).toString('utf8');
          let accepted = 0;
          let rejected = 0;
          try {
            const parsed = JSON.parse(text) as { accepted?: number; rejected?: number };
            accepted = parsed.accepted ?? 0;
            rejected = parsed.rejected ?? 0;
          } catch {
            // Reported through the status and body.
          }
          resolve({ status: response.statusCode ?? 0, accepted, rejected, body: text, doneAt });
        });
      },
    );
    request.on('timeout', () => request.destroy(new Error(`POST ${body.path}${what ? ` (${what})` : ''} timed out after ${options.timeoutMs} ms`)));
    request.on('error', reject);
    request.end(body.gzip);
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
