#!/usr/bin/env node
// Runs every *.test.ts under src/ and test/ with node's test runner (TypeScript through tsx).
// First brings dist/ up to date when src/ changed since it was built, so that tests that start
// the CLI (test/helpers/cli.ts) run the compiled build, as `npm start` does.
// Usage: npm test [-- <path filter>...]   e.g. npm test -- src/router
import { spawn, spawnSync } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';

const filters = process.argv.slice(2);
const files = [];
for (const root of ['src', 'test']) {
  for (const entry of await readdir(root, { recursive: true })) {
    const path = join(root, entry);
    if (path.endsWith('.test.ts') && !path.includes('node_modules') && (filters.length === 0 || filters.some((filter) => path.includes(filter)))) files.push(path);
  }
}
files.sort();
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
const build = spawnSync(process.execPath, ['scripts/build.js', '--if-stale'], { stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);
const child = spawn(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-concurrency=2', '--test-timeout=120000', ...files],
  { stdio: 'inherit' },
);
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
