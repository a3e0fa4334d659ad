import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { mappedWrites, openLineFile, readLines } from './line-file.ts';

let directory: string;
before(async () => {
  directory = await mkdtemp(join(tmpdir(), 'switchboard-line-file-'));
});
after(async () => {
  await rm(directory, { recursive: true, force: true });
});

describe('journal line files (src/ledger/line-file.ts)', () => {
  it('maps the file here (the addon is built and the filesystem is one it maps), so the tests below cover the mapped writes', () => {
    // CI and the quick start run on ext4 with the optional addon built by `npm ci`.
    assert.equal(mappedWrites(directory), true);
  });

  it('has each line in the file as soon as it is appended, survives SIGKILL, and grows past its first size', () => {
    const path = join(directory, 'killed.jsonl');
    const lineFile = fileURLToPath(new URL('./line-file.ts', import.meta.url));
    // A process that appends 4,000 lines (about 1.3 MB: past the first 256 KB, so it grows
    // three times), one more that ends without its newline, then kills itself.
    const script = `
      import { openLineFile } from ${JSON.stringify(lineFile)};
      const file = openLineFile(${JSON.stringify(path)});
      for (let index = 0; index < 4000; index += 1) file.append(JSON.stringify({ id: 'r' + index, pad: 'x'.repeat(300), text: 'é' }) + '\\n');
      file.append('{"id":"torn"');
      process.kill(process.pid, 'SIGKILL');
    `;
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
    assert.equal(child.signal, 'SIGKILL', child.stderr);
    const lines = readLines(path)!;
    assert.equal(lines.length, 4001);
    assert.deepEqual(JSON.parse(lines[3999]!), { id: 'r3999', pad: 'x'.repeat(300), text: 'é' });
    assert.equal(lines[4000], '{"id":"torn"', 'the last line, cut short, is the reader\'s to skip');
    assert.ok(statSync(path).size > 1_300_000, 'the file is padded with zeros past its lines');
  });

  it('gives back the pages of a mapping it replaced (it grew) or closed, before the collector unmaps it', () => {
    const path = join(directory, 'released.jsonl');
    const resident = () =>
      readFileSync('/proc/self/smaps', 'utf8')
        .split(/\n(?=[0-9a-f]+-[0-9a-f]+ )/)
        .filter((mapping) => mapping.split('\n')[0]!.includes(path))
        .map((mapping) => Number(/\nRss:\s+(\d+) kB/.exec(mapping)![1]));
    const file = openLineFile(path);
    const line = `${JSON.stringify({ pad: 'z'.repeat(1000) })}\n`;
    for (let index = 0; index < 400; index += 1) file.append(line); // 400 KB: grown once
    const whileOpen = resident();
    assert.equal(whileOpen.length, 2, 'the first mapping and the grown one');
    assert.equal(whileOpen.filter((kilobytes) => kilobytes > 0).length, 1, `pages of the replaced mapping kept: ${whileOpen.join(', ')} kB`);
    file.close();
    assert.deepEqual(resident().filter((kilobytes) => kilobytes > 0), [], 'pages kept after close');
    assert.equal(readLines(path)!.length, 400);
  });

  it('appends after the lines a file holds, empties from the start, and closes cut to its lines', () => {
    const path = join(directory, 'reopened.jsonl');
    // What a process killed while emptying a mapped file can leave: zeros, then old lines, then zeros.
    writeFileSync(path, Buffer.concat([Buffer.from('{"id":"kept"}\n'), Buffer.alloc(10), Buffer.from('{"id":"stale"}\n'), Buffer.alloc(100)]));
    const file = openLineFile(path);
    file.append('{"id":"new"}\n');
    assert.deepEqual(readLines(path), ['{"id":"kept"}', '{"id":"new"}']);
    file.empty();
    assert.deepEqual(readLines(path), []);
    file.append('{"id":"after"}\n');
    // A longer line than the stale one that was there: nothing of the old lines shows after it.
    file.append(`{"id":"long","pad":"${'y'.repeat(64)}"}\n`);
    file.close();
    assert.equal(readFileSync(path, 'utf8'), `{"id":"after"}\n{"id":"long","pad":"${'y'.repeat(64)}"}\n`);
  });

  it('starts empty when asked to', () => {
    const path = join(directory, 'truncated.jsonl');
    writeFileSync(path, '{"id":"old"}\n');
    const file = openLineFile(path, { truncate: true });
    file.append('{"id":"new"}\n');
    assert.deepEqual(readLines(path), ['{"id":"new"}']);
    file.close();
  });

  it('writes files it cannot map (a device), and reports a full disk as an error', () => {
    const path = join(directory, 'full.jsonl');
    symlinkSync('/dev/full', path);
    const file = openLineFile(path);
    assert.throws(() => file.append('{"id":"r1"}\n'), { code: 'ENOSPC' });
    file.close();
  });

  it('reads nothing from a file that is not there', () => {
    assert.equal(readLines(join(directory, 'absent.jsonl')), undefined);
  });
});
