import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bothAllow, compileModelAccess } from './model-access.ts';

describe('model access globs', () => {
  it('allows everything without a list, an empty list or "*"', () => {
    for (const globs of [null, undefined, [], ['*']]) assert.equal(compileModelAccess(globs)('anything/at-all'), true);
  });

  it('matches exact names, * runs (slashes included) and ? characters, anchored', () => {
    const allows = compileModelAccess(['fast', 'gpt-*', 'oai/*', 'claude-?-haiku']);
    for (const name of ['fast', 'gpt-4o', 'gpt-', 'oai/gpt-4o', 'oai/a/b', 'claude-3-haiku']) assert.equal(allows(name), true, name);
    for (const name of ['faster', 'my-fast', 'gpt4o', 'xoai/gpt', 'claude-35-haiku', 'smart']) assert.equal(allows(name), false, name);
  });

  it('treats regular-expression characters literally', () => {
    const allows = compileModelAccess(['gpt-4.1', 'a+b', '(x)']);
    assert.equal(allows('gpt-4.1'), true);
    assert.equal(allows('gpt-4x1'), false);
    assert.equal(allows('a+b'), true);
    assert.equal(allows('aab'), false);
    assert.equal(allows('(x)'), true);
  });

  it('combines a key and its team: both must allow', () => {
    const allows = bothAllow(compileModelAccess(['gpt-*', 'fast']), compileModelAccess(['gpt-4o*']));
    assert.equal(allows('gpt-4o-mini'), true);
    assert.equal(allows('gpt-5'), false);
    assert.equal(allows('fast'), false);
  });
});
