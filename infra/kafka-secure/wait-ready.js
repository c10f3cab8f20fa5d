#!/usr/bin/env node
// Usage: node infra/kafka-secure/wait-ready.js <credentials.json> [timeoutMs]
// Polls the secured broker until a SASL_SSL (PLAIN) admin client can list topics and an mTLS client
// can too, then warms it up like infra/kafka/wait-ready.js (group coordinator, idempotent producer id).
// Exit 0 when ready, 1 on deadline. kafkajs comes from the repo's node_modules.
'use strict';

const fs = require('node:fs');
const { Kafka, logLevel } = require('kafkajs');

const credentials = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const timeoutMs = Number(process.argv[3] || 90_000);
const deadline = Date.now() + timeoutMs;
const POLL_MS = 250;
const ca = fs.readFileSync(credentials.caFile, 'utf8');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function probe(config) {
  const kafka = new Kafka({
    clientId: 'infra-wait-ready',
    logLevel: logLevel.NOTHING,
    connectionTimeout: 2000,
    requestTimeout: 3000,
    retry: { retries: 0 },
    ...config,
  });
  const admin = kafka.admin({ retry: { retries: 0 } });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, retry: { retries: 1, initialRetryTime: 100 } });
  try {
    await admin.connect();
    await admin.listTopics();
    await admin.describeGroups(['infra-wait-ready']);
    await producer.connect();
  } finally {
    await producer.disconnect().catch(() => {});
    await admin.disconnect().catch(() => {});
  }
}

(async () => {
  let lastError;
  for (;;) {
    try {
      await probe({ brokers: [credentials.saslBroker], ssl: { ca }, sasl: { mechanism: 'plain', ...credentials.plain } });
      await probe({
        brokers: [credentials.mtlsBroker],
        ssl: { ca, cert: fs.readFileSync(credentials.clientCertFile, 'utf8'), key: fs.readFileSync(credentials.clientKeyFile, 'utf8') },
      });
      process.exit(0);
    } catch (err) {
      lastError = err;
    }
    if (Date.now() + POLL_MS >= deadline) break;
    await sleep(POLL_MS);
  }
  console.error(`secured kafka not ready after ${timeoutMs} ms: ${lastError ? lastError.message : 'unknown'}`);
  process.exit(1);
})();
