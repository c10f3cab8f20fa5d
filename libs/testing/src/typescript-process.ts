import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { waitFor } from './wait-for';

const REPO_ROOT = path.resolve(__dirname, '../../..');

/**
 * A bootstrap that lets a child Node process run the project's TypeScript sources without a build:
 * `.ts` files are compiled on require by @swc/core (decorators with metadata, as Nest needs), and
 * `@telemetry/<lib>` resolves to `libs/<lib>/src`, as in tsconfig.json.
 */
function bootstrapFile(): string {
  const file = path.join(os.tmpdir(), `telemetry-ts-bootstrap-${process.pid}.js`);
  if (fs.existsSync(file)) return file;
  const source = `
const Module = require('node:module');
const path = require('node:path');
const { readFileSync } = require('node:fs');
const { transformSync } = require(${JSON.stringify(require.resolve('@swc/core'))});
const libs = ${JSON.stringify(path.join(REPO_ROOT, 'libs'))};
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, parent, ...rest) {
  const match = /^@telemetry\\/([^/]+)$/.exec(request);
  return resolve.call(this, match ? path.join(libs, match[1], 'src') : request, parent, ...rest);
};
require.extensions['.ts'] = function compileTypeScript(module, filename) {
  const { code } = transformSync(readFileSync(filename, 'utf8'), {
    filename,
    swcrc: false,
    sourceMaps: 'inline',
    module: { type: 'commonjs' },
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
    },
  });
  module._compile(code, filename);
};
process.argv.splice(1, 1);
require(path.resolve(process.argv[1]));
`;
  fs.writeFileSync(file, source);
  return file;
}

export interface RunningProcess {
  readonly child: ChildProcess;
  /** Everything the process wrote to stdout and stderr so far (for failure messages). */
  output(): string;
  /** SIGTERM, then SIGKILL after the deadline; resolves when the process is gone. */
  stop(timeoutMs?: number): Promise<void>;
  /** SIGKILL: the process gets no chance to flush or commit anything. */
  kill(): Promise<void>;
}

/** Spawns `node <entry.ts>` from the repository's sources, e.g. an app's main.ts. */
export function spawnTypeScript(entry: string, env: Record<string, string>): RunningProcess {
  const child = spawn(process.execPath, [bootstrapFile(), path.resolve(REPO_ROOT, entry)], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  return {
    child,
    output: () => output,
    stop: async (timeoutMs = 15_000) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      await exited;
      clearTimeout(timer);
    },
    kill: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/** Waits until a spawned app answers /v1/health on its port; fails at once, with its output, if it exited. */
export async function waitHealthy(port: number, process: RunningProcess, timeoutMs = 90_000): Promise<void> {
  await waitFor(
    async () => {
      if (process.child.exitCode !== null) throw new Error(`exited early:\n${process.output()}`);
      const response = await fetch(`http://127.0.0.1:${port}/v1/health`).catch(() => undefined);
      return response?.ok === true;
    },
    { timeoutMs, intervalMs: 200, description: `the app on port ${port} healthy` },
  );
}
