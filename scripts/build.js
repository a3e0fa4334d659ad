#!/usr/bin/env node
// `npm run build`, and `prepare` so that `npm ci` builds: bundles src/ and the libraries it uses
// into dist/ with esbuild, then writes the stamp the bin reads (scripts/build-state.js). Types are
// stripped, not checked, so a type error never fails an install (`npm run typecheck` checks).
// Usage: node scripts/build.js [--if-stale]   (--if-stale: only when an input changed since the last
// build: src/, the libraries installed, this script; scripts/build-state.js)
//
// Why a bundle (docs/decisions/0010-compiled-build-and-benchmark.md, 2026-12-05 addition): every
// process of the gateway loads about 250 modules of src/ and 300 files of its libraries; resolving,
// reading and compiling them one by one was most of its start. The bundle keeps src/'s lazy
// imports (the cluster primary, the gateway) as chunks of their own, and the libraries src/ loads
// lazily (YAML, Bedrock's signer, undici's request API) outside it, so a process still loads only
// what it runs.
import { copyFileSync, rmSync, writeFileSync } from 'node:fs';
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
const dist = join(root, 'dist');
rmSync(dist, { recursive: true, force: true });
const esbuild = createRequire(import.meta.url)('esbuild');
let built;
try {
  built = esbuild.buildSync({
    absWorkingDir: root,
    // The CLI; and, under names a rebuild keeps, what a running process loads later from
    // beside its own chunks: the ledger writer thread's module (at the first batch,
    // src/store/sqlite/ledger-thread.ts) and the cluster primary's metrics aggregation (at the
    // first scrape). A lazy import of a hashed chunk would fail once a rebuild renamed it.
    entryPoints: { main: 'src/main.ts', 'ledger-worker': 'src/store/sqlite/ledger-worker.ts', 'cluster-metrics': 'src/telemetry/cluster-metrics.ts' },
    outdir: dist,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    // Left to Node at run time:
    // - native addons, loaded by src/store/sqlite/driver.ts;
    // - CommonJS packages that src/ imports lazily (`await import()`): in a chunk of its own,
    //   esbuild gives such a package only a default export, where Node gives its named exports
    //   too, which src/ reads (the YAML parser, the PostgreSQL and Redis clients, Bedrock's signing and event-stream libraries,
    //   undici's request API for image URLs). They load when first needed, as before;
    // - what src/ requires through createRequire (undici's Agent, gpt-tokenizer's ranks):
    //   esbuild does not see those calls.
    external: ['better-sqlite3', 'better-sqlite3-napi', 'yaml', 'undici', 'pg', 'ioredis', '@smithy/*', '@aws-crypto/*'],
    // Bundled CommonJS libraries call require() for Node's own modules; an ES module has none.
    banner: { js: "import { createRequire as createRequireForBundle } from 'node:module'; const require = createRequireForBundle(import.meta.url);" },
    // Less to read and parse at every start (2.1 MB instead of 3.4: 50-60 ms a process here);
    // names are kept, so stack traces still name their functions (esbuild adds a `2` where two
    // modules' equal names meet in one chunk).
    minifyWhitespace: true,
    minifySyntax: true,
    // For `node --enable-source-maps` (NODE_OPTIONS): stack traces that name src/ files.
    sourcemap: 'linked',
    sourcesContent: false,
    legalComments: 'linked',
    logLevel: 'warning',
    metafile: true,
  });
} catch {
  // esbuild has printed the errors.
  process.stderr.write('esbuild could not build dist/ (see above); bin/switchboard.js runs src/ through tsx until a build succeeds\n');
  process.exit(1);
}
// A package imported lazily (`await import()`) and bundled comes out as a chunk of its own, whose
// entry is the package's file; a CommonJS one's only export is then its module.exports as
// `default`, and `const { x } = await import('package')` would find no `x` at run time, on a path
// tests may not take. Refused here, at build time, with the remedy.
for (const [file, output] of Object.entries(built.metafile.outputs)) {
  if (output.entryPoint?.includes('node_modules/') && output.exports.length === 1 && output.exports[0] === 'default') {
    process.stderr.write(`${file} is ${output.entryPoint}, which src/ imports with import(): add its package to \`external\` in scripts/build.js\n`);
    process.exit(1);
  }
}
// Read at run time beside the module that loads it (src/catalog/index.ts), which is in dist/ now.
copyFileSync(join(root, 'src', 'catalog', 'models.json'), join(dist, 'models.json'));
writeFileSync(join(dist, stampName), `${startedAt}\n`);
