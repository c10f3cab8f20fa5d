// Builds the product (npm run build) only when a source, a tsconfig or the lockfile is newer than
// the last build, so a second `npm start` goes straight to the app. tsc's own incremental check
// would still cost seconds; a walk over the sources' modification times costs milliseconds.
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const stamp = path.join(root, 'dist', '.tsbuildinfo');

function newestChange(dir) {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestChange(full));
    else if (entry.name.endsWith('.ts') || entry.name.endsWith('.json')) newest = Math.max(newest, fs.statSync(full).mtimeMs);
  }
  return newest;
}

const built = fs.existsSync(stamp) ? fs.statSync(stamp).mtimeMs : 0;
const inputs = ['tsconfig.json', 'tsconfig.build.json', 'package-lock.json'].map((file) => fs.statSync(path.join(root, file)).mtimeMs);
const changed = Math.max(newestChange(path.join(root, 'apps')), newestChange(path.join(root, 'libs')), ...inputs);
if (changed > built) {
  execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
  // tsc leaves the build info untouched when nothing needed emitting: mark this build as current.
  const now = new Date();
  fs.utimesSync(stamp, now, now);
}
