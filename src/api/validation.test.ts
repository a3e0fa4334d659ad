import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { GatewayError } from '../core/errors.ts';
import { boundMessage, callerMessage, formatParam, maxMessageLength, parseBody, quote, safeParseFirstIssue } from './validation.ts';

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
