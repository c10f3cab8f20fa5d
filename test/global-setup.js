// Starts the real services the int and e2e tiers need (idempotent: a no-op when they already run,
// as in .ci/run) and exports their addresses to the test workers. Unit-only runs skip this.
const { execFileSync } = require('node:child_process');
const path = require('node:path');

module.exports = async function globalSetup() {
  const argv = process.argv.join(' ');
  const unitOnly = /--selectProjects[= ]unit(\s|$)/.test(argv) && !/\b(int|e2e)\b/.test(argv.split('--selectProjects')[1] || '');
  if (unitOnly) return;
  const root = path.resolve(__dirname, '..');
  if (!process.env.KAFKA_BROKERS) {
    execFileSync('bash', [path.join(root, 'infra/kafka/start.sh')], { stdio: 'inherit' });
    process.env.KAFKA_BROKERS = '127.0.0.1:39092';
  }
  if (!process.env.DATABASE_URL) {
    execFileSync('bash', [path.join(root, 'infra/postgres/start.sh')], { stdio: 'inherit' });
    process.env.DATABASE_URL = 'postgres://telemetry:telemetry@127.0.0.1:55432/telemetry';
  }
  if (!process.env.KAFKA_SECURE_CREDENTIALS) {
    // The secured second broker of the Kafka security int test (SASL_SSL, mTLS).
    execFileSync('bash', [path.join(root, 'infra/kafka-secure/start.sh')], { stdio: 'inherit' });
    process.env.KAFKA_SECURE_CREDENTIALS = path.join(root, '.infra/kafka-secure/client/credentials.json');
  }
  if (!process.env.OPENSEARCH_URL) {
    execFileSync('bash', [path.join(root, 'infra/opensearch/start.sh')], { stdio: 'inherit' });
    process.env.OPENSEARCH_URL = 'http://127.0.0.1:39200';
  }
};
