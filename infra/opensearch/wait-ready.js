#!/usr/bin/env node
// Usage: node infra/opensearch/wait-ready.js [url] [timeoutMs]
// Polls the node until GET /_cluster/health?wait_for_status=yellow answers 200 with a status
// that is not red (a cluster manager is elected and the HTTP layer serves requests), then logs
// the OpenSearch version from GET / to stderr. Exit 0 when ready, 1 on deadline.
'use strict';

const url = (process.argv[2] || process.env.OPENSEARCH_URL || 'http://127.0.0.1:39200').replace(/\/+$/, '');
const timeoutMs = Number(process.argv[3] || 180_000);
const deadline = Date.now() + timeoutMs;
const POLL_MS = 250;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function probe() {
  const res = await fetch(`${url}/_cluster/health?wait_for_status=yellow&timeout=2s`, {
    signal: AbortSignal.timeout(5000),
  });
  const body = await res.json();
  if (res.status !== 200 || body.status === 'red' || body.timed_out) {
    throw new Error(`cluster health ${res.status}: ${JSON.stringify(body)}`);
  }
  const root = await (await fetch(`${url}/`, { signal: AbortSignal.timeout(5000) })).json();
  return `${root.version && root.version.distribution} ${root.version && root.version.number}, cluster ${body.cluster_name} ${body.status}`;
}

(async () => {
  let lastError;
  for (;;) {
    try {
      const what = await probe();
      console.error(`[opensearch] ${what}`);
      process.exit(0);
    } catch (err) {
      lastError = err;
    }
    if (Date.now() + POLL_MS >= deadline) break;
    await sleep(POLL_MS);
  }
  const cause = lastError ? (lastError.cause && lastError.cause.code) || lastError.message : 'unknown';
  console.error(`opensearch at ${url} not ready after ${timeoutMs} ms: ${cause}`);
  process.exit(1);
})();
