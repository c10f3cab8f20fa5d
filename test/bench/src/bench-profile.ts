import * as fs from 'node:fs';
import * as path from 'node:path';
import { Session } from 'node:inspector';

/**
 * Per-stage CPU profiles (BENCH_PROFILE=<dir>): the V8 sampling profiler of this process, started
 * and stopped around one stage through the inspector, written as <dir>/<stage>.cpuprofile (open in
 * Chrome DevTools or speedscope) and summarized as the top functions by self time.
 */

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly children?: readonly number[];
}

interface Profile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

export interface HotSpot {
  /** `function file:line`, paths relative to the repository or node_modules. */
  readonly frame: string;
  readonly selfMs: number;
  readonly share: number;
}

function post<T>(session: Session, method: string, params?: object): Promise<T> {
  return new Promise((resolve, reject) => {
    session.post(method, params ?? {}, (error, result) => (error ? reject(error) : resolve(result as T)));
  });
}

export class StageProfiler {
  private constructor(private readonly session: Session) {}

  static async start(): Promise<StageProfiler> {
    const session = new Session();
    session.connect();
    await post(session, 'Profiler.enable');
    await post(session, 'Profiler.setSamplingInterval', { interval: 500 });
    await post(session, 'Profiler.start');
    return new StageProfiler(session);
  }

  async stop(directory: string, name: string, root: string): Promise<HotSpot[]> {
    const { profile } = await post<{ profile: Profile }>(this.session, 'Profiler.stop');
    this.session.disconnect();
    fs.mkdirSync(directory, { recursive: true });
    fs.writeFileSync(path.join(directory, `${name}.cpuprofile`), JSON.stringify(profile));
    return summarize(profile, root);
  }
}

export function summarize(profile: Profile, root: string, top = 15): HotSpot[] {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const parents = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);
  // Samples taken while the profiler itself is being stopped (the inspector dispatch) are not the stage's.
  const profilerOwn = (id: number): boolean => {
    for (let current: number | undefined = id; current !== undefined; current = parents.get(current)) {
      if (nodes.get(current)?.callFrame.url.includes('bench-profile')) return true;
    }
    return false;
  };
  const selfByFrame = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const node = nodes.get(id);
    const delta = profile.timeDeltas[i] ?? 0;
    if (!node || profilerOwn(id)) return;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)' || functionName === '(program)') return;
    total += delta;
    const file = url
      .replace(/^file:\/\//, '')
      .replace(/^.*node_modules\//, '')
      .replace(`${root}/`, '');
    const frame = `${functionName || '(anonymous)'} ${file ? `${file}:${lineNumber + 1}` : '(native)'}`;
    selfByFrame.set(frame, (selfByFrame.get(frame) ?? 0) + delta);
  });
  return [...selfByFrame]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([frame, micros]) => ({ frame, selfMs: micros / 1000, share: total > 0 ? micros / total : 0 }));
}
