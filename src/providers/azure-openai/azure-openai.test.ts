import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ChatRequest } from '../../core/chat-request.ts';
import { GatewayError } from '../../core/errors.ts';
import type { HttpClient, UpstreamRequest } from '../../core/http-client.ts';
import type { ProviderCall, ProviderSettings } from '../../core/provider-adapter.ts';
import { azureOpenAIProvider } from './index.ts';

const answer = JSON.stringify({ id: 'chatcmpl-1', choices: [{ index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' }] });

/** An HttpClient that records what the adapter sends and answers every call with one completion. */
function fakeHttp() {
  const sent: UpstreamRequest[] = [];
  const http: HttpClient = {
    async send(request) {
      sent.push(request);
      return {
        status: 200,
        headers: {},
        body: new ReadableStream<Uint8Array>({ start: (controller) => (controller.enqueue(new TextEncoder().encode(answer)), controller.close()) }),
        text: async () => answer,
        discard: async () => undefined,
      };
    },
  };
  return { http, sent };
}

const images = { fetch: async () => ({ mediaType: 'image/png', data: new Uint8Array() }) };
const settings = (baseUrl: string): ProviderSettings => ({ id: 'az', type: 'azure-openai', baseUrl, apiKey: 'azure-key-0123456789', headers: {}, timeoutMs: 1000, options: {} });
const call = (model: string): ProviderCall => ({ model, signal: new AbortController().signal, timeoutMs: 1000, requestId: 'req' });
const request: ChatRequest = { model: 'x', messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }], stream: false, includeUsage: false, metadata: {}, hints: {} };

describe('azure-openai adapter: the deployment in the URL', () => {
  it('refuses a deployment name Azure could not have with a 400, before any call', async () => {
    const { http, sent } = fakeHttp();
    const adapter = azureOpenAIProvider.create(settings('https://res.openai.azure.com'), { http, images });
    for (const model of ['..', '../../evil', 'a/b', 'dep?x=1', 'dep#x', 'my deployment', '', `d${'x'.repeat(64)}`]) {
      await assert.rejects(adapter.chat(request, call(model)), (error: unknown) => GatewayError.isInstance(error) && error.code === 'SB_ERR_INVALID_REQUEST' && error.param === 'model', JSON.stringify(model));
      await assert.rejects(adapter.streamChat({ ...request, stream: true }, call(model)), (error: unknown) => GatewayError.isInstance(error) && error.code === 'SB_ERR_INVALID_REQUEST');
    }
    assert.equal(sent.length, 0);
  });

  it('sends a valid name as its path segment, and ignores the model when base_url is a deployment URL', async () => {
    const { http, sent } = fakeHttp();
    await azureOpenAIProvider.create(settings('https://res.openai.azure.com'), { http, images }).chat(request, call('gpt-4.1-mini_prod'));
    await azureOpenAIProvider.create(settings('https://res.openai.azure.com/openai/deployments/prod-4o'), { http, images }).chat(request, call('../ignored'));
    assert.deepEqual(
      sent.map((upstream) => upstream.url),
      ['https://res.openai.azure.com/openai/deployments/gpt-4.1-mini_prod/chat/completions?api-version=2024-10-21', 'https://res.openai.azure.com/openai/deployments/prod-4o/chat/completions?api-version=2024-10-21'],
    );
  });
});
