import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { createTestRedis, testRedisUrl, type TestRedis } from '../../../test/helpers/redis.ts';
import type { SharedChange } from '../../core/shared-change.ts';
import { openSharedState, type SharedState } from './index.ts';

const quiet = { warn: () => undefined, info: () => undefined };

describe('key, team and provider changes told to the other replicas through Redis', () => {
  let redis: TestRedis;
  const opened: SharedState[] = [];
  const open = async () => {
    const state = await openSharedState(testRedisUrl, { prefix: redis.prefix, logger: quiet });
    opened.push(state);
    return state;
  };

  before(async () => {
    redis = await createTestRedis();
  });
  after(async () => {
    await Promise.all(opened.map((state) => state.close()));
    await redis.drop();
  });

  it('answers a change once every other replica has applied it, and not to its own process', async () => {
    const [first, second, third] = [await open(), await open(), await open()];
    const applied: Array<[string, SharedChange]> = [];
    await first.subscribe((change) => void applied.push(['first', change]));
    // A replica slow to apply (a provider refresh reads the database): the publisher waits for it.
    await second.subscribe(async (change) => {
      await sleep(200);
      applied.push(['second', change]);
    });
    await third.subscribe((change) => void applied.push(['third', change]));
    await first.publish({ kind: 'key', keyHash: 'abc' });
    assert.deepEqual(
      applied.sort((a, b) => a[0].localeCompare(b[0])),
      [
        ['second', { kind: 'key', keyHash: 'abc' }],
        ['third', { kind: 'key', keyHash: 'abc' }],
      ],
    );
  });

  it('gives up waiting after a second for a replica that does not confirm', async () => {
    const warnings: string[] = [];
    const publisher = await openSharedState(testRedisUrl, { prefix: redis.prefix, logger: { ...quiet, warn: (_details, message) => void warnings.push(message) } });
    opened.push(publisher);
    await publisher.subscribe(() => undefined);
    const stuck = await open();
    await stuck.subscribe(() => new Promise<void>(() => undefined));
    const started = Date.now();
    await publisher.publish({ kind: 'teams' });
    const waited = Date.now() - started;
    assert.ok(waited >= 900 && waited < 3000, `waited ${waited} ms`);
    assert.ok(warnings.some((warning) => /not every replica confirmed a change within 1000 ms/.test(warning)), warnings.join('\n'));
  });
});
