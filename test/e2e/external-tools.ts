import { ChildProcess, execFile, spawn } from 'node:child_process';
import * as path from 'node:path';

/** Real external producers the e2e tests drive; each missing one fails the test with how to install it. */
export const INSTALL_HINTS: Readonly<Record<string, string>> = {
  kcat: '`apt-get install -y kcat` (.ci/run does this)',
  softflowd: '`apt-get install -y softflowd` (.ci/run does this)',
  pmacctd: '`apt-get install -y pmacct` (.ci/run does this)',
  goflow2:
    'build it from the Go module proxy: `GOBIN=$PWD/.infra/goflow2/v2.2.6 go install github.com/netsampler/goflow2/v2/cmd/goflow2@v2.2.6` (.ci/run does this)',
};

/** Where .ci/run builds goflow2 v2.2.6 from the Go module proxy (cached: a second run does not rebuild). */
export const GOFLOW2 = path.resolve(__dirname, '../../.infra/goflow2/v2.2.6/goflow2');

export interface ToolResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

function missing(tool: string): Error {
  const name = path.basename(tool);
  return new Error(`${name} is not installed (${tool}); this test drives it as a real external producer. Install it: ${INSTALL_HINTS[name] ?? 'see .ci/run'}`);
}

/** Runs a tool to its end; resolves with its exit code, fails plainly when it is missing or does not finish. */
export function runTool(tool: string, args: readonly string[], options: { stdin?: string | Buffer; timeoutMs?: number } = {}): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(tool, args, { timeout: options.timeoutMs ?? 30_000, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error === null) resolve({ exitCode: 0, stdout, stderr });
      else if ((error as NodeJS.ErrnoException).code === 'ENOENT') reject(missing(tool));
      else if (typeof error.code === 'number') resolve({ exitCode: error.code, stdout, stderr });
      else reject(new Error(`${tool} ${args.join(' ')} did not finish (${error.signal ?? error.message}): ${stderr}`));
    });
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(options.stdin ?? '');
  });
}

/** Runs a tool and fails with its output unless it exits 0. */
export async function mustRun(tool: string, args: readonly string[], options: { stdin?: string | Buffer; timeoutMs?: number } = {}): Promise<ToolResult> {
  const result = await runTool(tool, args, options);
  if (result.exitCode !== 0) throw new Error(`${path.basename(tool)} ${args.join(' ')} exited with ${result.exitCode}: ${result.stderr}${result.stdout}`);
  return result;
}

export interface Daemon {
  readonly child: ChildProcess;
  output(): string;
  /** SIGTERM to this process only, then wait for it to exit. */
  stop(): Promise<void>;
}

/** Starts a long-running tool (goflow2); `output()` keeps what it printed for failure messages. */
export function startDaemon(tool: string, args: readonly string[]): Promise<Daemon> {
  return new Promise((resolve, reject) => {
    const child = spawn(tool, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    const exited = new Promise<void>((done) => child.once('exit', () => done()));
    child.once('error', (error) => reject((error as NodeJS.ErrnoException).code === 'ENOENT' ? missing(tool) : error));
    child.once('spawn', () =>
      resolve({
        child,
        output: () => output,
        stop: async () => {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
          await exited;
        },
      }),
    );
  });
}
