import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GatewayError } from '../core/errors.ts';
import { maxJsonDepth, parseJsonBody, shapeProblem } from './json-body.ts';

const refusal = (text: string): string => {
  try {
    parseJsonBody(text);
  } catch (error) {
    assert.ok(GatewayError.isInstance(error));
    assert.equal(error.status, 400);
    return error.message;
  }
  assert.fail('the body was accepted');
};

describe('parseJsonBody', () => {
  it('parses JSON, and an empty body is no body', () => {
    assert.deepStrictEqual(parseJsonBody('{"model":"m","n":[1,{"a":"[[{"}]}'), { model: 'm', n: [1, { a: '[[{' }] });
    assert.equal(parseJsonBody(''), undefined);
  });

  it('refuses nesting deeper than the limit, before parsing', () => {
    assert.match(refusal('['.repeat(100_000) + ']'.repeat(100_000)), /nested more than 100 levels/);
    assert.match(refusal(`{"a":${'{"b":'.repeat(maxJsonDepth)}1${'}'.repeat(maxJsonDepth)}}`), /nested/);
    const atLimit = '['.repeat(maxJsonDepth) + ']'.repeat(maxJsonDepth);
    assert.doesNotThrow(() => parseJsonBody(atLimit));
  });

  it('counts nothing inside strings, escaped quotes and backslashes included', () => {
    assert.equal(shapeProblem(JSON.stringify({ a: '['.repeat(500), b: '\\"[[[[', c: 'x\\' }), { depth: 2, values: 10 }), undefined);
    assert.match(shapeProblem('[[[', { depth: 2, values: 10 }) ?? '', /nested/);
  });

  it('refuses more values than any real request holds, before parsing', () => {
    const text = `[${new Array(1_500_000).fill('1').join(',')}]`;
    const started = performance.now();
    assert.match(refusal(text), /more than 500000 values/);
    assert.ok(performance.now() - started < 500, `took ${performance.now() - started} ms (JSON.parse alone takes 60-200 ms)`);
  });

  it('refuses __proto__ keys and constructor.prototype, even written with escapes', () => {
    assert.match(refusal('{"a":{"__proto__":{"admin":true}}}'), /__proto__/);
    assert.match(refusal('{"\\u005f_proto__":1}'), /__proto__/);
    assert.match(refusal('{"constructor":{"prototype":{"x":1}}}'), /constructor/);
    assert.deepStrictEqual(parseJsonBody('{"constructor":"a name","properties":{"constructor":{"type":"string"}}}'), {
      constructor: 'a name',
      properties: { constructor: { type: 'string' } },
    });
  });

  it('refuses malformed JSON with the parse message', () => {
    assert.match(refusal('{"model": "m", '), /could not parse the JSON body/);
  });
});
