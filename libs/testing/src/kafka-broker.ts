import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

const REPO_ROOT = path.resolve(__dirname, '../../..');
const START_SCRIPT = path.join(REPO_ROOT, 'infra/kafka/start.sh');
const STOP_SCRIPT = path.join(REPO_ROOT, 'infra/kafka/stop.sh');

/** A single-node Kafka broker of one test's own, beside the shared one (which must never stop). */
export interface DedicatedBroker {
  /** Its bootstrap address, `127.0.0.1:<port>`, for KAFKA_BROKERS. */
  readonly brokers: string;
  /** Stops the broker (controlled shutdown); its data stays, so `start()` brings the same cluster back. */
  stop(): Promise<void>;
  /** Starts it again on the same ports and data dir (same cluster id, topics and records). */
  start(): Promise<void>;
  /** Stops it and deletes its state dir. Safe to call more than once. */
  destroy(): Promise<void>;
}

/**
 * Starts a Kafka broker through infra/kafka/start.sh with its own state dir (under the OS temp
 * dir) and free client and controller ports, for tests that stop and restart a broker. The jars
 * are the shared ones in `<repo>/.infra/kafka/libs`.
 */
export async function startDedicatedBroker(): Promise<DedicatedBroker> {
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'telemetry-kafka-'));
  const [clientPort, controllerPort] = await freePorts(2);
  const env = {
    ...process.env,
    KAFKA_STATE_DIR: stateDir,
    KAFKA_PORT: String(clientPort),
    KAFKA_CONTROLLER_PORT: String(controllerPort),
  };
  const stop = async () => {
    await runScript(STOP_SCRIPT, env);
  };
  const start = async () => {
    await runScript(START_SCRIPT, env);
  };
  let destroyed = false;
  const destroy = async () => {
    if (destroyed) return;
    destroyed = true;
    try {
      await stop();
    } finally {
      fs.rmSync(stateDir, { recursive: true, force: true });
    }
  };
  try {
    await start();
  } catch (error) {
    await destroy().catch(() => undefined);
    throw error;
  }
  return { brokers: `127.0.0.1:${clientPort}`, stop, start, destroy };
}

/** Ports the OS hands out for port 0, all held at once so they differ. */
export async function freePorts(count: number): Promise<number[]> {
  const servers: net.Server[] = [];
  try {
    for (let i = 0; i < count; i += 1) {
      const server = net.createServer();
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => resolve());
      });
    }
    return servers.map((server) => (server.address() as net.AddressInfo).port);
  } finally {
    await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
  }
}

function runScript(script: string, env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('bash', [script], { cwd: REPO_ROOT, env, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) {
        const status = error.code !== undefined ? `exit code ${String(error.code)}` : `signal ${String(error.signal)}`;
        reject(new Error(`${path.relative(REPO_ROOT, script)} failed (${status}) for ${env.KAFKA_STATE_DIR}:\n${stderr.trim()}`));
        return;
      }
      resolve(stdout.trim());
    });
  });
}
