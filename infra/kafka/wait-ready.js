#!/usr/bin/env node
// Usage: node infra/kafka/wait-ready.js [host:port] [timeoutMs]
// Polls the broker until an admin client can connect and list topics (i.e. the broker
// really serves clients, not just an open TCP port), then warms it up: a group
// FindCoordinator (creates __consumer_offsets) and an idempotent producer's
// InitProducerId. On a fresh broker these first answer COORDINATOR_NOT_AVAILABLE /
// COORDINATOR_LOAD_IN_PROGRESS, which kafkajs retries but logs as errors in the tests.
// Exit 0 when ready, 1 on deadline. kafkajs comes from the repo's node_modules.
'use strict';

const { Kafka, logLevel } = require('kafkajs');

const broker = process.argv[2] || process.env.KAFKA_BROKERS || '127.0.0.1:39092';
const timeoutMs = Number(process.argv[3] || 90_000);
const deadline = Date.now() + timeoutMs;
const POLL_MS = 250;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function probe() {
  const kafka = new Kafka({
    clientId: 'infra-wait-ready',
    brokers: broker.split(','),
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1000,
    requestTimeout: 2000,
    retry: { retries: 0 },
  });
  const admin = kafka.admin({ retry: { retries: 0 } });
  // kafkajs refuses an idempotent producer with retries < 1.
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    retry: { retries: 1, initialRetryTime: 100 },
  });
  try {
    await admin.connect();
    await admin.listTopics();
    await admin.describeGroups(['infra-wait-ready']); // FindCoordinator(GROUP)
    await producer.connect(); // InitProducerId
    return true;
  } finally {
    await producer.disconnect().catch(() => {});
    await admin.disconnect().catch(() => {});
  }
}

(async () => {
  let lastError;
  for (;;) {
    try {
      if (await probe()) process.exit(0);
    } catch (err) {
      lastError = err;
    }
    if (Date.now() + POLL_MS >= deadline) break;
    await sleep(POLL_MS);
  }
  console.error(
    `kafka at ${broker} not ready after ${timeoutMs} ms: ${lastError ? lastError.message : 'unknown'}`,
  );
  process.exit(1);
})();
