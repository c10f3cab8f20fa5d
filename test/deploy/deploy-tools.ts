import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const ROOT = path.resolve(__dirname, '../..');
export const CHART = path.join(ROOT, 'helm/telemetry-api');
const BIN = path.join(ROOT, '.infra/bin');

/** Builds helm and the validator under .infra/bin when missing (the first time: minutes). */
export function installDeployTools(): void {
  execFileSync('bash', [path.join(ROOT, 'test/deploy/install-tools.sh')], { stdio: ['ignore', 'inherit', 'inherit'] });
}

export interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function run(command: string, args: readonly string[]): Run {
  const result = spawnSync(command, args, { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

export function helm(...args: string[]): Run {
  return run(path.join(BIN, 'helm'), args);
}

/** Writes text to a temp file and returns its path. */
export function tempFile(name: string, text: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'telemetry-deploy-'));
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

/**
 * Runs the validator (k8s | compose) on a file: the objects it decoded, or its error. A compose file
 * is interpolated with `variables` only (as if they were the shell's), never this machine's environment.
 */
export function validate(
  mode: 'k8s' | 'compose',
  file: string,
  variables: Readonly<Record<string, string>> = {},
): { ok: true; value: unknown } | { ok: false; error: string } {
  const result = run(path.join(BIN, 'telemetry-deploy-validator'), [mode, file, ...Object.entries(variables).map(([name, value]) => `${name}=${value}`)]);
  return result.status === 0 ? { ok: true, value: JSON.parse(result.stdout) as unknown } : { ok: false, error: result.stderr };
}
