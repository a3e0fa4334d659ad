import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { closeAll, startGateway, type TestGateway } from '../helpers/gateway.ts';
import { collectStream, openaiClient } from '../helpers/openai-client.ts';

const masterKey = 'sb-master-failed-generation';

/**
 * A stream that fails in the provider's own hands after output (here Gemini's
 * MALFORMED_FUNCTION_CALL, whose last chunk carries usageMetadata: ../shared/specs/gemini) is
 * billed by the provider: the ledger row records the provider's token counts, not a count of
 * what was streamed. A Gemini upstream of a few lines speaks the SSE of streamGenerateContent
 * (`?alt=sse`: `data: <GenerateContentResponse>` messages separated by CRLF CRLF, as the
 * recorded fixtures in src/providers/gemini/__fixtures__).
 */
describe('a streamed generation that fails after output', () => {
  let upstream: Server;
  let gateway: TestGateway;
  const chunks = [
    { candidates: [{ content: { parts: [{ text: 'Let me call the tool' }], role: 'model' }, index: 0 }], modelVersion: 'gemini-2.5-flash' },
    {
      candidates: [{ content: { parts: [], role: 'model' }, finishReason: 'MALFORMED_FUNCTION_CALL', index: 0 }],
      usageMetadata: { promptTokenCount: 1234, candidatesTokenCount: 321, totalTokenCount: 1555 },
      modelVersion: 'gemini-2.5-flash',
    },
  ];

  before(async () => {
    upstream = createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        if (request.method !== 'POST' || !/:streamGenerateContent\?alt=sse$/.test(request.url ?? '')) {
          response.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"code":404,"message":"not found","status":"NOT_FOUND"}}');
          return;
        }
        response.writeHead(200, { 'content-type': 'text/event-stream' });
        response.end(chunks.map((chunk) => `data: ${JSON.stringify(chunk)}\r\n\r\n`).join(''));
      });
    });
    upstream.listen(0, '127.0.0.1');
    await once(upstream, 'listening');
    const { port } = upstream.address() as AddressInfo;
    gateway = await startGateway({
      server: { master_key: masterKey },
      providers: [{ id: 'gem', type: 'gemini', base_url: `http://127.0.0.1:${port}`, api_key: 'gemini-test-key-0123456789' }],
      models: [{ id: 'flash', provider: 'gem', upstream: 'gemini-2.5-flash', pricing: { input_per_mtok: 1, output_per_mtok: 10 } }],
    });
  });

  after(async () => {
    await closeAll(gateway);
    upstream.close();
  });

  it('is an error for the caller and records the tokens Gemini reported, priced', async () => {
    const client = openaiClient(gateway, masterKey);
    const response = await client.chat.completions.create({ model: 'flash', stream: true, messages: [{ role: 'user', content: 'Call the weather tool.' }] }).withResponse();
    await assert.rejects(collectStream(response.data), /ended the generation with finishReason/);
    const row = await gateway.ledgerRow(response.response);
    assert.ok(row, 'the request has its row');
    assert.deepEqual([row.status, row.errorCode, row.inputTokens, row.outputTokens, row.tokensEstimated], ['error', 'SB_ERR_UPSTREAM_ERROR', 1234, 321, false]);
    assert.equal(row.costUsd, (1234 * 1 + 321 * 10) / 1e6);
  });
});
