#!/usr/bin/env node
// `npm run build`, and `prepare` so that `npm ci` builds: compiles src/ into dist/ with tsc
// (tsconfig.build.json: no type check, so a type error never fails an install; `npm run
// typecheck` checks), then writes the stamp the bin reads (scripts/build-state.js).
// Usage: node scripts/build.js [--if-stale]   (--if-stale: only when src/ changed since the last build)
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stampName, staleReason } from './build-state.js';

const root = fileURLToPath(new URL('..', import.meta.url));
if (process.argv.includes('--if-stale')) {
  const reason = staleReason(root);
  if (reason === undefined) process.exit(0);
  process.stderr.write(`Building dist/: ${reason}\n`);
}
const startedAt = Date.now();
// Outputs of deleted sources go too; the bin runs src/ through tsx meanwhile (no stamp).
rmSync(join(root, 'dist'), { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const result = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
if (result.status !== 0) {
  process.stderr.write('tsc could not build dist/ (see above); bin/switchboard.js runs src/ through tsx until a build succeeds\n');
  process.exit(result.status ?? 1);
}
writeFileSync(join(root, 'dist', stampName), `${startedAt}\n`);
