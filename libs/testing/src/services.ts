/**
 * The real services the int and e2e tiers run against. `npm test` starts them through infra/
 * (test/global-setup.ts) and exports their addresses; a test that cannot reach them fails loudly,
 * it is never skipped.
 */
export function kafkaBrokers(): string[] {
  const brokers = process.env.KAFKA_BROKERS;
  if (!brokers) throw new Error('KAFKA_BROKERS is not set: start Kafka with infra/kafka/start.sh (npm test does this) and source infra/env.sh');
  return brokers.split(',').map((broker) => broker.trim());
}

export function databaseUrl(): string {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL is not set: start Postgres with infra/postgres/start.sh (npm test does this) and source infra/env.sh');
  return url;
}

/** Base URL of the OpenSearch node (no trailing slash), e.g. `http://127.0.0.1:39200`. */
export function opensearchUrl(): string {
  const url = process.env.OPENSEARCH_URL;
  if (!url) throw new Error('OPENSEARCH_URL is not set: start OpenSearch with infra/opensearch/start.sh (npm test does this) and source infra/env.sh');
  return url.replace(/\/+$/, '');
}

/** A name no other test run uses, for topics, groups and schemas. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

/** Databases `freshDatabase` made in this process (one Jest test file) and not dropped yet. */
const createdDatabases = new Set<string>();

/**
 * Creates an empty Postgres database for one test run and returns its URL. It stays until
 * `dropDatabase(url)` or `dropFreshDatabases()`: a spec that calls this ends with
 * `afterAll(dropFreshDatabases)`, so the shared server does not collect databases run after run.
 */
export async function freshDatabase(prefix = 'test'): Promise<string> {
  // Loaded lazily so unit tests that never touch Postgres do not load the driver.
  const { Client } = await import('pg');
  const url = new URL(databaseUrl());
  const name = uniqueName(prefix).replace(/-/g, '_');
  const client = new Client({ connectionString: url.toString() });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  url.pathname = `/${name}`;
  createdDatabases.add(url.toString());
  return url.toString();
}

/**
 * Drops every database `freshDatabase` made in this process (for `afterAll`), closing whatever
 * connections are still open to them. Every drop is tried; the first failure is rethrown after.
 */
export async function dropFreshDatabases(): Promise<void> {
  const failures: unknown[] = [];
  for (const url of [...createdDatabases]) {
    await dropDatabase(url).catch((error: unknown) => failures.push(error));
  }
  if (failures.length > 0) throw failures[0];
}

/** Drops a database `freshDatabase` made (by its URL), closing its connections first. */
export async function dropDatabase(databaseUrlToDrop: string): Promise<void> {
  const { Client } = await import('pg');
  const name = new URL(databaseUrlToDrop).pathname.slice(1);
  const client = new Client({ connectionString: databaseUrl() });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    createdDatabases.delete(databaseUrlToDrop);
  } finally {
    await client.end();
  }
}
