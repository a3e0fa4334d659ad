import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

/**
 * Runs `lines` as an ES module in a Node process of its own (TypeScript through tsx, `gc()`
 * exposed) and returns what it wrote to stdout: for what a test must see in a process that has
 * loaded nothing yet, or whose memory it measures. Fails the test when the process fails.
 */
export function runInFreshProcess(lines: readonly string[]): string {
  const result = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', '--input-type=module', '--eval', lines.join('\n')], { encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  return result.stdout;
}
