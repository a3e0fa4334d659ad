import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { GatewayError } from '../core/errors.ts';
import { boundMessage, callerMessage, formatParam, maxMessageLength, parseBody, parseField, quote, safeParseFirstIssue } from './validation.ts';

describe('safeParseFirstIssue / parseBody: validation that stops at the first issue', () => {
  const schema = z.object({ names: z.array(z.string().min(1)), items: z.array(z.object({ id: z.string().regex(/^[a-z]+$/) })) });

  it('collects one issue where zod collects one per wrong element', () => {
    const body = { names: new Array(200_000).fill(''), items: [] };
    assert.equal(schema.safeParse(body).error?.issues.length, 200_000, 'zod alone collects them all');
    const started = performance.now();
    const parsed = safeParseFirstIssue(schema, body);
    assert.ok(performance.now() - started < 300, `took ${performance.now() - started} ms`);
    assert.equal(parsed.error?.issues.length, 1);
    assert.deepStrictEqual(parsed.error?.issues[0]?.path, ['names', 0]);
  });

  it('stops inside nested objects too, and still returns parsed data when the value is valid', () => {
    assert.equal(safeParseFirstIssue(schema, { names: [], items: new Array(100_000).fill({ id: 'A' }) }).error?.issues.length, 1);
    assert.deepStrictEqual(parseBody(schema, { names: ['a'], items: [{ id: 'x' }] }), { names: ['a'], items: [{ id: 'x' }] });
  });

  it('throws a 400 naming the field, with a bounded message', () => {
    assert.throws(
      () => parseBody(schema, { names: 'x', items: [] }),
      (error: unknown) => GatewayError.isInstance(error) && error.status === 400 && error.param === 'names' && /Invalid value for 'names'/.test(error.message),
    );
  });
});

describe('the issue a union reports', () => {
  const refusal = (schema: z.ZodType, body: unknown): GatewayError => {
    try {
      parseBody(schema, body);
    } catch (error) {
      if (GatewayError.isInstance(error)) return error;
      throw error;
    }
    throw new Error('accepted');
  };
  const inputs = z.object({
    input: z.union([z.string(), z.array(z.string()).max(3, 'too many'), z.array(z.number()).max(10), z.array(z.array(z.number())).max(3, 'too many')]),
  });

  it('is the size of an array too long for the option its items fit, not the type of the first item of an option with a higher cap', () => {
    const error = refusal(inputs, { input: ['a', 'b', 'c', 'd'] });
    assert.equal(error.param, 'input');
    assert.match(error.message, /too many/);
  });

  it('is still the deepest issue when an item is wrong, and the non-empty rule for []', () => {
    assert.equal(refusal(inputs, { input: ['a', 2] }).param, 'input[1]');
    assert.equal(refusal(inputs, { input: [[1], 'a'] }).param, 'input[0]');
    const content = z.object({ content: z.union([z.string(), z.array(z.object({ text: z.string() })).min(1, 'must not be empty')]) });
    assert.equal(refusal(content, { content: [5] }).param, 'content[0]');
    assert.match(refusal(content, { content: [] }).message, /must not be empty/);
  });
});

describe('parseField', () => {
  it("names the field and the path inside its value, and returns the parsed value", () => {
    const bias = z.record(z.string(), z.number().int());
    assert.throws(
      () => parseField(bias, 'logit_bias', { '50256': 0.5 }),
      (error: unknown) => GatewayError.isInstance(error) && error.param === 'logit_bias.50256' && /Invalid value for 'logit_bias\.50256'/.test(error.message),
    );
    assert.throws(() => parseField(bias, 'logit_bias', 'x'), (error: unknown) => GatewayError.isInstance(error) && error.param === 'logit_bias');
    assert.deepStrictEqual(parseField(bias, 'logit_bias', { '1': 2 }), { '1': 2 });
  });
});

describe('bounded texts', () => {
  it('cuts messages, params and quoted values short and says how much was cut', () => {
    assert.equal(boundMessage('short'), 'short');
    const long = boundMessage('x'.repeat(5000));
    assert.ok(long.length < maxMessageLength + 40);
    assert.match(long, /… \(4000 more characters\)$/);
    assert.equal(formatParam(['messages', 0, 'content']), 'messages[0].content');
    assert.ok(formatParam(['k'.repeat(10_000)]).length < 200);
    assert.equal(quote('a\r\nb'), '"a\\r\\nb"');
  });

  it('shows a fixed text for internal errors and the (bounded) message otherwise', () => {
    assert.doesNotMatch(callerMessage(new GatewayError('SB_ERR_INTERNAL', 'Cannot read properties of undefined')), /undefined/);
    assert.equal(callerMessage(new GatewayError('SB_ERR_INVALID_REQUEST', 'Bad.')), 'Bad.');
  });
});
