import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it, mock } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadTrim, trimAllocatorPeriodically, trimIntervalFrom, trimIntervalMs } from '../scripts/allocator-trim.js';
import { glibcLinux } from './helpers/cli.ts';

const repository = fileURLToPath(new URL('..', import.meta.url));

/**
 * A process that fragments glibc's heap the way a gateway's traffic does, at scale: 1,500 blocks
 * of 64 KB (a socket's read buffer), each followed by a 512-byte block that stays, then the large
 * ones freed. Prints its RSS in MB after allocating, after freeing, and after the addon's trim.
 */
const fragmenting = `
const { trim } = require('switchboard-malloc-trim');
const { readFileSync } = require('node:fs');
const rss = () => Number(/VmRSS:\\s+(\\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1]) / 1024;
let large = [];
const kept = [];
for (let i = 0; i < 1500; i++) { large.push(Buffer.allocUnsafeSlow(64 * 1024).fill(1)); kept.push(Buffer.allocUnsafeSlow(512).fill(2)); }
const allocated = rss();
large = undefined;
globalThis.gc();
// The backing stores of collected buffers may be freed off the main thread: give it a moment.
setTimeout(() => {
  globalThis.gc();
  setTimeout(() => {
    const freed = rss();
    const released = trim();
    console.log(JSON.stringify({ allocated, freed, released, trimmed: rss(), kept: kept.length }));
  }, 100);
}, 100);
`;

describe('trimming the allocator (scripts/allocator-trim.js)', () => {
  it('gives back the free pages glibc keeps below a heap top still in use', { skip: !glibcLinux }, () => {
    // glibc's defaults, whatever the machine running the tests sets.
    const environment = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(GLIBC_TUNABLES|MALLOC_\w+_)$/.test(name)));
    const child = spawnSync(process.execPath, ['--expose-gc', '-e', fragmenting], { cwd: repository, env: environment, encoding: 'utf8' });
    assert.equal(child.status, 0, child.stderr);
    const figures = JSON.parse(child.stdout) as { allocated: number; freed: number; released: boolean; trimmed: number; kept: number };
    assert.equal(figures.kept, 1500);
    // 94 MB were allocated; freeing gave almost none of it back (each block sits below a kept one)...
    assert.ok(figures.freed > figures.allocated - 20, `freeing alone: ${figures.allocated.toFixed(1)} → ${figures.freed.toFixed(1)} MB`);
    // ...the trim gave back most of it.
    assert.equal(figures.released, true);
    assert.ok(figures.trimmed < figures.freed - 60, `trimmed: ${figures.freed.toFixed(1)} → ${figures.trimmed.toFixed(1)} MB`);
  });

  it('loads the addon where glibc is the C library', { skip: !glibcLinux }, () => {
    const trim = loadTrim();
    assert.equal(typeof trim, 'function');
    assert.equal(typeof trim!(), 'boolean');
  });

  it('trims every interval on a timer that keeps no process alive; never with an interval of 0 or without the addon', () => {
    mock.timers.enable({ apis: ['setInterval'] });
    try {
      let calls = 0;
      const timer = trimAllocatorPeriodically(1000, () => () => calls++);
      assert.ok(timer);
      mock.timers.tick(999);
      assert.equal(calls, 0);
      mock.timers.tick(1);
      assert.equal(calls, 1);
      mock.timers.tick(2000);
      assert.equal(calls, 3);
      clearInterval(timer);
      mock.timers.tick(5000);
      assert.equal(calls, 3);

      let loaded = false;
      assert.equal(
        trimAllocatorPeriodically(0, () => {
          loaded = true;
          return () => undefined;
        }),
        undefined,
      );
      assert.equal(loaded, false, 'an interval of 0 does not even load the addon');
      assert.equal(trimAllocatorPeriodically(1000, () => undefined), undefined);
    } finally {
      mock.timers.reset();
    }
    const real = trimAllocatorPeriodically(60_000, () => () => undefined);
    assert.equal(real?.hasRef(), false, 'the timer keeps no process alive');
    clearInterval(real);
  });

  it('takes its interval from SWITCHBOARD_MALLOC_TRIM_MS, refusing what is not a whole number of milliseconds', () => {
    assert.equal(trimIntervalFrom(undefined), trimIntervalMs);
    assert.equal(trimIntervalFrom(''), trimIntervalMs);
    assert.equal(trimIntervalFrom('0'), 0);
    assert.equal(trimIntervalFrom('250'), 250);
    const written: string[] = [];
    const write = mock.method(process.stderr, 'write', (text: string) => (written.push(text), true));
    try {
      assert.equal(trimIntervalFrom('1s'), trimIntervalMs);
      assert.equal(trimIntervalFrom('-5'), trimIntervalMs);
    } finally {
      write.mock.restore();
    }
    assert.equal(written.length, 2);
    assert.match(written[0]!, /SWITCHBOARD_MALLOC_TRIM_MS="1s" is not a whole number of milliseconds; trimming every 1000 ms/);
  });
});
