import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GatewayError } from '../../core/errors.ts';
import { embedInBatches } from './embedding-request.ts';

describe('embeddings in batches', () => {
  const vectorOf = (text: string) => [text.length];

  it('joins the batches in input order, summing their tokens', async () => {
    const batches: string[][] = [];
    const result = await embedInBatches(['a', 'bb', 'ccc', 'dddd', 'eeeee'], 2, async (batch) => {
      batches.push(batch);
      return { model: 'm', embeddings: batch.map(vectorOf), usage: { inputTokens: batch.length * 3, outputTokens: 0 } };
    });
    assert.deepStrictEqual(batches, [['a', 'bb'], ['ccc', 'dddd'], ['eeeee']]);
    assert.deepStrictEqual(result.embeddings, [[1], [2], [3], [4], [5]]);
    assert.deepStrictEqual(result.usage, { inputTokens: 15, outputTokens: 0 });
  });

  it('fails with the usage of the batches answered before the one that failed, which the provider billed', async () => {
    let calls = 0;
    const failing = embedInBatches(['a', 'bb', 'ccc', 'dddd', 'eeeee'], 2, async (batch) => {
      calls += 1;
      if (calls === 3) throw new GatewayError('SB_ERR_UPSTREAM_UNAVAILABLE', 'overloaded', { provider: 'p' });
      return { model: 'm', embeddings: batch.map(vectorOf), usage: { inputTokens: 10, outputTokens: 0 } };
    });
    await assert.rejects(failing, (error: unknown) => {
      assert.ok(GatewayError.isInstance(error));
      assert.deepStrictEqual([error.code, error.message, error.provider], ['SB_ERR_UPSTREAM_UNAVAILABLE', 'overloaded', 'p']);
      assert.deepStrictEqual(error.usage, { inputTokens: 20, outputTokens: 0 });
      return true;
    });
    const first = embedInBatches(['a'], 2, async () => {
      throw new GatewayError('SB_ERR_UPSTREAM_UNAVAILABLE', 'overloaded');
    });
    await assert.rejects(first, (error: unknown) => GatewayError.isInstance(error) && error.usage === undefined);
  });
});
