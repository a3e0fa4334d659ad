import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GatewayError } from '../../core/errors.ts';
import { demoProvider } from './index.ts';
import { simulatedJson } from './simulated-json.ts';

describe('demo provider embeddings', () => {
  const adapter = demoProvider.create({ id: 'demo', type: 'demo', headers: {}, timeoutMs: 1000, options: {} }, { http: { send: () => Promise.reject(new Error('not used')) }, images: { fetch: () => Promise.reject(new Error('not used')) } });
  const call = { model: 'demo-1', signal: new AbortController().signal, timeoutMs: 1000, requestId: 'req' };

  it('answers base64 when asked (the openai SDK asks for it by default and decodes what it gets as base64)', async () => {
    const floats = await adapter.embed!({ model: 'e', input: ['one'], dimensions: 4, metadata: {} }, call);
    const base64 = await adapter.embed!({ model: 'e', input: ['one'], dimensions: 4, encodingFormat: 'base64', metadata: {} }, call);
    assert.equal(typeof base64.embeddings[0], 'string');
    const bytes = Buffer.from(base64.embeddings[0] as string, 'base64');
    const decoded = Array.from(new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4));
    (floats.embeddings[0] as number[]).forEach((value, index) => assert.ok(Math.abs(value - decoded[index]!) < 1e-6));
  });

  it('refuses token-id inputs rather than answering no vectors', async () => {
    const tokens = { model: 'e', input: [], inputTokenIds: 2, metadata: {}, native: { format: 'openai-embeddings' as const, body: { model: 'e', input: [[1, 2]] } } };
    await assert.rejects(adapter.embed!(tokens, call), (error: unknown) => GatewayError.isInstance(error) && error.code === 'SB_ERR_INVALID_REQUEST');
  });
});

describe('demo provider JSON of a schema', () => {
  it('follows $refs, takes the first enum value and branch, and stops a recursive schema', () => {
    const schema = {
      type: 'object',
      properties: {
        kind: { type: 'string', enum: ['tree', 'leaf'] },
        size: { anyOf: [{ type: 'integer', minimum: 3 }, { type: 'null' }] },
        root: { $ref: '#/definitions/Node' },
      },
      required: ['kind', 'size', 'root'],
      definitions: { Node: { type: 'object', properties: { name: { type: ['string', 'null'] }, children: { type: 'array', items: { $ref: '#/definitions/Node' } } }, required: ['name', 'children'] } },
    };
    const value = simulatedJson(schema) as { kind: string; size: number; root: { name: string; children: unknown[] } };
    assert.deepEqual([value.kind, value.size, value.root.name], ['tree', 3, 'simulated']);
    assert.ok(JSON.stringify(value).length < 10_000, 'the recursion was cut short');
  });

  it("answers zod's positive numbers and string formats as they check them", () => {
    const schema = { type: 'object', properties: { count: { type: 'integer', exclusiveMinimum: 0 }, contact: { type: 'string', format: 'email' }, id: { type: 'string', format: 'uuid' } } };
    assert.deepEqual(simulatedJson(schema), { count: 1, contact: 'simulated@example.com', id: '00000000-0000-4000-8000-000000000000' });
  });
});
