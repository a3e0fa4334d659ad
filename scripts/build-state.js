// Whether dist/ (the build of src/, `npm run build`) can be run as it is: it exists, the build
// finished, and nothing it was built from changed since it started: src/, the libraries bundled
// into it, the build script. Read by the bin on every start (a few milliseconds for the whole
// tree), by `npm test` and by `npm run bench`.
// See docs/decisions/0010-compiled-build-and-benchmark.md.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/** Written into dist/ last by scripts/build.js: the time (ms) the build started. */
export const stampName = '.build-stamp';

/**
 * Besides src/: dist/ holds copies of the libraries (scripts/build.js bundles them), and npm runs
 * `prepare` only on `npm ci` and a bare `npm install`, not on `npm install <package>`, `npm
 * update` or `npm audit fix`. npm rewrites its lockfile in node_modules on every one of those, so
 * a build older than it may hold other versions than node_modules does.
 */
const inputs = ['package-lock.json', join('node_modules', '.package-lock.json'), join('scripts', 'build.js')];

/**
 * Why `root`/dist cannot be run, or undefined when it can. A directory's modification time
 * changes when a file in it is added, removed or renamed, so those count as changes too. No
 * src/ at all (a copy shipped with dist/ only) leaves nothing to compare.
 */
export function staleReason(root) {
  let startedAt;
  try {
    startedAt = Number(readFileSync(join(root, 'dist', stampName), 'utf8'));
  } catch {
    return 'there is no finished build in dist/';
  }
  const sources = join(root, 'src');
  let changed;
  try {
    changed = changedSince(sources, startedAt);
  } catch (error) {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  }
  changed ??= inputs.map((input) => join(root, input)).find((path) => (statSync(path, { throwIfNoEntry: false })?.mtimeMs ?? 0) > startedAt);
  return changed === undefined ? undefined : `${relative(root, changed)} changed after dist/ was built`;
}

/** The first file or directory under `directory` (itself included) modified after `time`. */
function changedSince(directory, time) {
  if (statSync(directory).mtimeMs > time) return directory;
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) {
      const found = changedSince(path, time);
      if (found !== undefined) return found;
    } else if (statSync(path).mtimeMs > time) {
      return path;
    }
  }
  return undefined;
}
