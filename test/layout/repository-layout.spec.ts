import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');
const folders = (dir: string): string[] =>
  fs
    .readdirSync(path.join(ROOT, dir), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();

describe('the repository layout', () => {
  // Libraries are named by their import alias: an app and a lib may share a folder name (enricher).
  it('nest-cli.json lists exactly the apps and libs there are', () => {
    const nest = JSON.parse(fs.readFileSync(path.join(ROOT, 'nest-cli.json'), 'utf8')) as { projects: Record<string, { type: string; root: string }> };
    const listed = Object.entries(nest.projects).map(([name, project]) => `${project.type}:${project.root}:${name}`);
    const present = [
      ...folders('apps').map((app) => `application:apps/${app}:${app}`),
      ...folders('libs').map((lib) => `library:libs/${lib}:@telemetry/${lib}`),
    ];
    expect(listed.sort()).toEqual(present.sort());
  });

  it('every lib has its @telemetry/<name> path, and no path names a lib that does not exist', () => {
    const tsconfig = JSON.parse(fs.readFileSync(path.join(ROOT, 'tsconfig.json'), 'utf8')) as { compilerOptions: { paths: Record<string, string[]> } };
    const paths = Object.entries(tsconfig.compilerOptions.paths).map(([alias, [target]]) => `${alias} -> ${target}`);
    expect(paths.sort()).toEqual(
      folders('libs')
        .map((lib) => `@telemetry/${lib} -> libs/${lib}/src`)
        .sort(),
    );
  });

  it('the product build compiles no test code (specs, libs/testing, */testing/, test/)', () => {
    const files = execFileSync(path.join(ROOT, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.build.json', '--listFilesOnly'], { cwd: ROOT, encoding: 'utf8' })
      .split('\n')
      .map((file) => path.relative(ROOT, file.trim()))
      .filter((file) => file.length > 0 && !file.split('/').includes('node_modules'));
    expect(files.length).toBeGreaterThan(50);
    expect(files.filter((file) => /(^|\/)testing\/|\.(int-|e2e-)?spec\.ts$|^test\//.test(file))).toEqual([]);
  });
});
