import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { invalidAnswer, vectorListProblem } from './answer-shape.ts';

describe('answer shape helpers', () => {
  it('builds a retryable 502 naming the provider, what was expected and what was missing', () => {
    const error = invalidAnswer('oai', 'a chat completion', '"choices" is not a non-empty array', 200);
    assert.deepEqual([error.code, error.status, error.retryable, error.provider, error.upstreamStatus], ['SB_ERR_UPSTREAM_INVALID_RESPONSE', 502, true, 'oai', 200]);
    assert.equal(error.message, 'Provider "oai" answered with a body that is not a chat completion: "choices" is not a non-empty array');
  });

  it('accepts one vector per input, as numbers or (where allowed) base64 text', () => {
    assert.equal(vectorListProblem([[0.1, 0.2], [0.3]], { name: 'data', count: 2 }), undefined);
    assert.equal(vectorListProblem(['AAAAPw=='], { name: 'data', count: 1, base64: true }), undefined);
    assert.equal(vectorListProblem([[1], [2], [3]], { name: 'data', count: 0 }), undefined, 'count 0 is unknown');
  });

  it('names what keeps a list from being the vectors asked for', () => {
    assert.equal(vectorListProblem(undefined, { name: 'embeddings' }), '"embeddings" is not a non-empty list of vectors');
    assert.equal(vectorListProblem([], { name: 'embeddings' }), '"embeddings" is not a non-empty list of vectors');
    assert.equal(vectorListProblem([[1]], { name: 'data', count: 2 }), '"data" holds 1 vectors for 2 inputs');
    assert.equal(vectorListProblem([[1], []], { name: 'data' }), 'data[1] is not a vector');
    assert.equal(vectorListProblem([[1], null], { name: 'data', entry: (index) => `data[${index}].embedding` }), 'data[1].embedding is not a vector');
    assert.equal(vectorListProblem([['1']], { name: 'data' }), 'data[0] is not a vector');
    assert.equal(vectorListProblem(['AAAAPw=='], { name: 'data' }), 'data[0] is not a vector', 'base64 text only where allowed');
    assert.equal(vectorListProblem([''], { name: 'data', base64: true }), 'data[0] is not a vector');
  });
});
