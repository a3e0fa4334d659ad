import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { configSchema } from './schema.ts';
import { hasNestedQuantifier } from './nested-quantifier.ts';

describe('deny patterns that backtrack exponentially', () => {
  it('finds a repeated group holding an unbounded repetition', () => {
    // A bounded inner repetition under an unbounded outer one too (a review: it doubled its time with each character).
    for (const source of ['(\\w+\\s?)+falcon', '(a+)+$', '(a*)*', '(?:x+y)*', '(a{2,})+', '((ab)*c)+', '(\\w{1,63}\\s?)+falcon', '(a{1,3})+']) assert.equal(hasNestedQuantifier(source), true, source);
    for (const source of ['project\\s+falcon', '\\bQ3 forecast\\b', '(foo|bar)+', '(a+)?', '[(]a+[)]+', '\\(a+\\)+', '(ab)+c+', 'x(?:\\d{3}-){2}\\d{4}', '[a-z0-9.-]{1,253}\\.internal']) {
      assert.equal(hasNestedQuantifier(source), false, source);
    }
  });

  // An outside probe: `(\w+\s?)+falcon` took 16 s on 1 MB of words and did not finish on 5 MB,
  // stalling the event loop and so every request.
  it('refuses such a pattern when the config is loaded, naming where it is', () => {
    const parsed = configSchema.safeParse({ guardrails: [{ name: 'codenames', type: 'deny', patterns: ['project\\s+falcon', '(\\w+\\s?)+falcon'] }] });
    assert.equal(parsed.success, false);
    assert.deepEqual(parsed.error?.issues.map((issue) => issue.path.join('.')), ['guardrails.0.patterns.1']);
    assert.match(parsed.error?.issues[0]?.message ?? '', /exponential time/);
  });
});
