#!/usr/bin/env node
// The package's bin. Runs the compiled CLI in dist/ (`npm run build`; `npm ci` builds it through
// `prepare`). When dist/ is missing, unfinished or older than a file in src/ (a source edited
// since), it runs src/ through tsx instead and says so in one line on stderr, rather than
// rebuilding: a build takes seconds, and concurrent starts (tests, a cluster's workers) would
// race to rewrite the same dist/. See docs/decisions/0010-compiled-build-and-benchmark.md.
import cluster from 'node:cluster';
import { fileURLToPath } from 'node:url';
import { staleReason } from '../scripts/build-state.js';

// The workers of `--workers N` run this file too: they take the primary's choice (inherited
// through the environment) instead of checking again, so every process runs the same code.
const choiceVariable = 'SWITCHBOARD_RUN_FROM';
const inherited = cluster.isWorker ? process.env[choiceVariable] : undefined;
let reason;
if (inherited === undefined) {
  reason = staleReason(fileURLToPath(new URL('..', import.meta.url)));
  process.env[choiceVariable] = reason === undefined ? 'dist' : 'src';
}

let main;
if ((inherited ?? process.env[choiceVariable]) === 'dist') {
  ({ main } = await import('../dist/main.js'));
} else {
  if (reason !== undefined) process.stderr.write(`switchboard: running src/ through tsx (slower start): ${reason}; npm run build compiles it\n`);
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../src/main.ts'));
}
await main(process.argv.slice(2));
