import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { OpenAISimulator } from '../simulators/openai/server.ts';
import { closeAll, startGateway, type TestGateway } from '../helpers/gateway.ts';

/**
 * The gateway writes what one turn of the event loop produced in one write
 * (src/server/send-stream.ts): events must still reach the caller as the provider sends them,
 * never held until the answer ends.
 */
describe('streamed answers reach the caller as they are produced', () => {
  const chunkDelayMs = 120;
  let simulator: OpenAISimulator;
  let gateway: TestGateway;

  before(async () => {
    simulator = await new OpenAISimulator({ chunkDelayMs }).start();
    gateway = await startGateway({
      providers: [{ id: 'oai', type: 'openai', base_url: simulator.url, api_key: simulator.apiKey }],
      models: [{ id: 'slow', provider: 'oai', upstream: 'gpt-4o-mini', pricing: { input_per_mtok: 1, output_per_mtok: 2 } }],
    });
  });
  after(() => closeAll(gateway, simulator));

  it('each upstream event arrives about when the provider sent it, and the stream ends with [DONE]', async () => {
    const started = performance.now();
    const response = await request(`${gateway.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'slow', stream: true, messages: [{ role: 'user', content: 'one two three four' }] }),
    });
    assert.equal(response.statusCode, 200);
    const arrivals: Array<{ at: number; events: number }> = [];
    let text = '';
    for await (const chunk of response.body) {
      const piece = (chunk as Buffer).toString();
      text += piece;
      arrivals.push({ at: performance.now() - started, events: piece.split('\n\n').filter((event) => event.startsWith('data:')).length });
    }
    assert.ok(text.trimEnd().endsWith('data: [DONE]'), 'the stream ended normally');
    const contentEvents = text.split('\n\n').filter((event) => event.includes('"content":"') && !event.includes('"content":""')).length;
    assert.ok(contentEvents >= 4, `only ${contentEvents} content events`);
    // Delivered in several pieces spread over the answer's time, not in one at its end.
    assert.ok(arrivals.length >= contentEvents - 1, `${contentEvents} events arrived in ${arrivals.length} pieces`);
    const first = arrivals.find((arrival) => arrival.events > 0)!;
    const last = arrivals.at(-1)!;
    assert.ok(last.at - first.at >= chunkDelayMs * (contentEvents - 2), `first event at ${first.at.toFixed(0)} ms, last at ${last.at.toFixed(0)} ms`);
  });
});
