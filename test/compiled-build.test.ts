import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { stampName, staleReason } from '../scripts/build-state.js';
import { runCli } from './helpers/cli.ts';

/**
 * The compiled build (docs/decisions/0010-compiled-build-and-benchmark.md): bin/switchboard.js
 * runs dist/ when it was built after every change under src/, and otherwise src/ through tsx
 * with one line on stderr. Tried on a copy of the bin beside a dist/ and a src/ whose main()
 * only says which it is.
 */

const repository = fileURLToPath(new URL('..', import.meta.url));
const builtAt = Date.parse('2026-01-01T00:00:00Z');
const seconds = (time: number) => time / 1000;

function setTime(path: string, time: number): void {
  utimesSync(path, seconds(time), seconds(time));
}

/**
 * A main() that says which build it is; with --workers it forks one cluster worker, which says
 * so too (a worker runs the bin again, as `switchboard serve --workers N` does).
 */
function fakeMain(name: string): string {
  return [
    "import cluster from 'node:cluster';",
    'export async function main(argv) {',
    `  if (cluster.isWorker) return void process.stdout.write(' ${name} worker', () => process.exit(0));`,
    `  process.stdout.write(\`${name} \${argv.join(' ')}\`);`,
    "  if (argv.includes('--workers')) await new Promise((resolve) => cluster.fork().once('exit', resolve));",
    '}',
    '',
  ].join('\n');
}

/** A package root with src/ (files and folders dated before the build) and a finished dist/. */
function makeRoot(): string {
  const root = mkdtempSync(join(tmpdir(), 'switchboard-build-'));
  mkdirSync(join(root, 'bin'));
  mkdirSync(join(root, 'scripts'));
  mkdirSync(join(root, 'src', 'router'), { recursive: true });
  mkdirSync(join(root, 'dist'));
  copyFileSync(join(repository, 'bin', 'switchboard.js'), join(root, 'bin', 'switchboard.js'));
  for (const script of ['allocator-trim.js', 'build-state.js', 'helper-threads.js', 'runtime-flags.js']) copyFileSync(join(repository, 'scripts', script), join(root, 'scripts', script));
  writeFileSync(join(root, 'package.json'), '{"type": "module"}\n');
  // The packages (tsx runs src/), but not npm's lockfile in node_modules, which this repository's
  // install wrote after builtAt: each package is linked on its own.
  mkdirSync(join(root, 'node_modules'));
  for (const name of readdirSync(join(repository, 'node_modules'))) {
    if (name !== '.package-lock.json') symlinkSync(join(repository, 'node_modules', name), join(root, 'node_modules', name));
  }
  writeFileSync(join(root, 'src', 'main.ts'), fakeMain('src'));
  writeFileSync(join(root, 'src', 'router', 'plan.ts'), 'export const plan: number = 1;\n');
  writeFileSync(join(root, 'dist', 'main.js'), fakeMain('dist'));
  writeFileSync(join(root, 'dist', stampName), `${builtAt}\n`);
  for (const path of ['src/main.ts', 'src/router/plan.ts', 'src/router', 'src']) setTime(join(root, path), builtAt - 60_000);
  return root;
}

/** The bin of a copy of the package at `root` (test/helpers/cli.ts runs this repository's). */
function runBin(root: string, args = ['serve', '--port', '0']): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return runCli(args, { bin: join(root, 'bin', 'switchboard.js') });
}

describe('compiled build: which code the bin runs', () => {
  let root: string;
  before(() => (root = makeRoot()));
  after(() => rmSync(root, { recursive: true, force: true }));

  it('runs dist/ when it was built after every source changed, and says nothing', async () => {
    assert.equal(staleReason(root), undefined);
    assert.deepEqual(await runBin(root), { code: 0, stdout: 'dist serve --port 0', stderr: '' });
  });

  it('runs src/ through tsx, with one line on stderr, once a source changed after the build', async () => {
    setTime(join(root, 'src', 'router', 'plan.ts'), builtAt + 1_000);
    assert.equal(staleReason(root), `${join('src', 'router', 'plan.ts')} changed after dist/ was built`);
    const result = await runBin(root);
    assert.equal(result.code, 0);
    assert.equal(result.stdout, 'src serve --port 0');
    assert.match(result.stderr, /^switchboard: running src\/ through tsx .*src\/router\/plan\.ts changed after dist\/ was built.*npm run build.*\n$/);
  });

  it("runs a cluster worker from the primary's choice, without checking or saying it again", async () => {
    const result = await runBin(root, ['serve', '--workers', '2']);
    assert.equal(result.code, 0);
    assert.equal(result.stdout, 'src serve --workers 2 src worker');
    assert.equal(result.stderr.match(/running src\/ through tsx/g)?.length, 1, result.stderr);
    setTime(join(root, 'src', 'router', 'plan.ts'), builtAt - 60_000);
    assert.deepEqual(await runBin(root, ['serve', '--workers', '2']), { code: 0, stdout: 'dist serve --workers 2 dist worker', stderr: '' });
  });

  it('counts a source removed after the build as a change (its folder changed)', () => {
    unlinkSync(join(root, 'src', 'router', 'plan.ts'));
    setTime(join(root, 'src', 'router'), builtAt + 1_000);
    assert.equal(staleReason(root), `${join('src', 'router')} changed after dist/ was built`);
    setTime(join(root, 'src', 'router'), builtAt - 60_000);
    assert.equal(staleReason(root), undefined);
  });

  it('counts a dependency installed or updated after the build, or a changed build script, as a change (dist/ bundles the libraries)', () => {
    // npm rewrites node_modules/.package-lock.json on `npm install <package>`, `npm update` and
    // `npm audit fix`, none of which runs `prepare`.
    const lockfile = join(root, 'node_modules', '.package-lock.json');
    writeFileSync(lockfile, '{}\n');
    setTime(lockfile, builtAt + 1_000);
    assert.equal(staleReason(root), `${join('node_modules', '.package-lock.json')} changed after dist/ was built`);
    setTime(lockfile, builtAt - 60_000);
    assert.equal(staleReason(root), undefined);
    for (const input of ['package-lock.json', join('scripts', 'build.js')]) {
      writeFileSync(join(root, input), '\n');
      setTime(join(root, input), builtAt + 1_000);
      assert.equal(staleReason(root), `${input} changed after dist/ was built`);
      setTime(join(root, input), builtAt - 60_000);
    }
    assert.equal(staleReason(root), undefined);
  });

  it('runs src/ when the build did not finish (no stamp), and dist/ alone when there is no src/', async () => {
    unlinkSync(join(root, 'dist', stampName));
    assert.equal(staleReason(root), 'there is no finished build in dist/');
    const result = await runBin(root);
    assert.equal(result.stdout, 'src serve --port 0');
    assert.match(result.stderr, /no finished build in dist\//);
    writeFileSync(join(root, 'dist', stampName), `${builtAt}\n`);
    rmSync(join(root, 'src'), { recursive: true });
    assert.equal(staleReason(root), undefined);
  });
});
