import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GatewayError } from '../core/errors.ts';
import { messagesFieldPolicy } from './anthropic/request-fields.ts';
import { checkFieldNames, nearestKnownName } from './field-names.ts';
import { chatFieldPolicy, embeddingFieldPolicy } from './openai/request-fields.ts';

const refusal = (body: Record<string, unknown>, policy = chatFieldPolicy): GatewayError | undefined => {
  try {
    checkFieldNames(body, policy);
    return undefined;
  } catch (error) {
    assert.ok(GatewayError.isInstance(error));
    return error;
  }
};

describe('nearestKnownName: typos of known fields', () => {
  const cases: Array<[string, string | undefined]> = [
    ['temprature', 'temperature'],
    ['temperatur', 'temperature'],
    ['max_token', 'max_tokens'],
    ['max_tokns', 'max_tokens'],
    ['top-p', 'top_p'],
    ['TOP_P', 'top_p'],
    ['maxTokens', 'max_tokens'],
    ['frequence_penalty', 'frequency_penalty'],
    ['stream_option', 'stream_options'],
    ['tool', 'tools'],
    ['respones_format', 'response_format'],
    // Not near misses: an extension field, unrelated names, and short names.
    ['my_flag', undefined],
    ['x', undefined],
    ['nn', undefined],
    ['priority_hint', undefined],
  ];
  for (const [name, expected] of cases) {
    it(`${name} → ${expected ?? 'none'}`, () => assert.equal(nearestKnownName(name, chatFieldPolicy), expected));
  }

  it('never takes a known extension field of an OpenAI-compatible server for a typo', () => {
    for (const name of ['min_p', 'top_k', 'top_a', 'min_tokens', 'repetition_penalty', 'logit_bias', 'store', 'prediction', 'service_tier', 'web_search_options', 'modalities', 'audio']) {
      assert.equal(refusal({ [name]: 1 }), undefined, name);
    }
  });
});

describe('checkFieldNames', () => {
  it('relays well-formed unknown names on OpenAI-style routes, up to a bound', () => {
    assert.equal(refusal({ model: 'm', vendor_flag: true, another_one: 1 }), undefined);
    const many = Object.fromEntries(Array.from({ length: 40 }, (_, index) => [`field_number_${index}`, 1]));
    assert.match(refusal(many)?.message ?? '', /more than 32 unknown fields/);
  });

  it('refuses names that are not parameter names, and prototype keys', () => {
    assert.match(refusal({ 'a b': 1 })?.message ?? '', /"a b".*not a parameter name/);
    assert.match(refusal({ constructor: 1 })?.message ?? '', /not a parameter name/);
    assert.match(refusal(JSON.parse('{"__proto__": 1}'))?.message ?? '', /not a parameter name/);
    assert.equal(refusal({ ['k'.repeat(5000)]: 1 })!.message.length < 300, true, 'a long name is cut short');
  });

  it('refuses every unknown field on /v1/messages (Anthropic: "Extra inputs are not permitted")', () => {
    assert.match(refusal({ model: 'm', n: 2 }, messagesFieldPolicy)?.message ?? '', /^n: Extra inputs are not permitted$/);
    assert.match(refusal({ temprature: 1 }, messagesFieldPolicy)?.message ?? '', /temprature: Extra inputs are not permitted \(did you mean 'temperature'\?\)/);
    assert.equal(refusal({ model: 'm', max_tokens: 1, messages: [], cache_control: {}, container: 'c', models: [], provider: {} }, messagesFieldPolicy), undefined);
  });

  it('knows the embeddings fields', () => {
    assert.equal(refusal({ model: 'm', input: 'x', dimensions: 3, encoding_format: 'float', input_type: 'search_query' }, embeddingFieldPolicy), undefined);
    assert.equal(refusal({ encodingformat: 'float' }, embeddingFieldPolicy)?.param, 'encodingformat');
  });
});
