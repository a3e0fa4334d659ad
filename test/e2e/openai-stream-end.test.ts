import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AnthropicSimulator } from '../simulators/anthropic/server.ts';
import { OpenAISimulator } from '../simulators/openai/server.ts';
import { closeAll, startGateway, type TestGateway } from '../helpers/gateway.ts';
import { rawPost } from '../helpers/http.ts';

const masterKey = 'sb-stream-end-master';

/**
 * How an OpenAI stream ends. A complete stream's last event is `data: [DONE]`: clients that read
 * the raw event stream (LangChain, curl scripts, other gateways) wait for it to tell a finished
 * answer from a cut one (../shared/specs/openai/examples/*.sse all end with it). The official SDK
 * ends quietly without it, so these tests read the bytes the gateway sends.
 */
describe('OpenAI streams end with data: [DONE] (real gateway, raw event stream)', () => {
  let openai: OpenAISimulator;
  let anthropic: AnthropicSimulator;
  let gateway: TestGateway;

  before(async () => {
    openai = await new OpenAISimulator().start();
    anthropic = await new AnthropicSimulator().start();
    gateway = await startGateway({
      server: { master_key: masterKey },
      providers: [
        { id: 'oai', type: 'openai', base_url: openai.url, api_key: openai.apiKey },
        { id: 'claude', type: 'anthropic', base_url: anthropic.url, api_key: anthropic.apiKey },
      ],
      models: [
        { id: 'fast', provider: 'oai', upstream: 'gpt-4o-mini' },
        { id: 'faulty', provider: 'oai', upstream: 'gpt-4.1-nano' },
        { id: 'sonnet', provider: 'claude', upstream: 'claude-sim-sonnet' },
      ],
    });
  });

  after(() => closeAll(gateway, openai, anthropic));

  /** The `data:` payloads of a streamed chat, in order. */
  async function streamedData(body: Record<string, unknown>): Promise<string[]> {
    const answer = await rawPost(gateway.origin, '/v1/chat/completions', { stream: true, messages: [{ role: 'user', content: 'count to three' }], ...body }, { key: masterKey });
    assert.equal(answer.status, 200, answer.text);
    assert.match(answer.headers.get('content-type') ?? '', /^text\/event-stream/);
    return answer.text
      .split('\n\n')
      .filter((frame) => frame.trim() !== '')
      .map((frame) => {
        assert.ok(frame.startsWith('data: '), `not a data event: ${JSON.stringify(frame)}`);
        return frame.slice('data: '.length);
      });
  }

  /** A complete stream: chunks, then exactly one [DONE], last. */
  function assertEndsWithDone(data: string[], label: string): Array<{ choices: Array<{ finish_reason: string | null }>; usage?: unknown }> {
    assert.equal(data.at(-1), '[DONE]', `${label}: the stream does not end with data: [DONE] (last event: ${data.at(-1)})`);
    assert.equal(data.filter((payload) => payload === '[DONE]').length, 1, `${label}: [DONE] sent more than once`);
    const chunks = data.slice(0, -1).map((payload) => JSON.parse(payload) as { choices: Array<{ finish_reason: string | null }>; usage?: unknown });
    assert.ok(chunks.some((chunk) => chunk.choices[0]?.finish_reason === 'stop'), `${label}: no finish chunk before [DONE]`);
    return chunks;
  }

  it('relays an OpenAI provider\'s chunks and ends with [DONE], with and without the usage chunk', async () => {
    const plain = assertEndsWithDone(await streamedData({ model: 'fast' }), 'passthrough');
    assert.equal(plain.some((chunk) => chunk.usage), false, 'the usage chunk the gateway asked for itself was relayed');
    const withUsage = assertEndsWithDone(await streamedData({ model: 'fast', stream_options: { include_usage: true } }), 'passthrough with usage');
    assert.ok(withUsage.at(-1)?.usage, 'the usage chunk comes right before [DONE]');
  });

  it('ends a stream it builds from another protocol (Anthropic) with [DONE], with and without the usage chunk', async () => {
    const plain = assertEndsWithDone(await streamedData({ model: 'sonnet' }), 'from Anthropic');
    assert.equal(plain.some((chunk) => chunk.usage), false);
    const withUsage = assertEndsWithDone(await streamedData({ model: 'sonnet', stream_options: { include_usage: true } }), 'from Anthropic with usage');
    assert.ok(withUsage.at(-1)?.usage, 'the usage chunk comes right before [DONE]');
  });

  it('ends a failed stream with the error chunk and no [DONE], so a raw reader sees it was not complete', async () => {
    openai.fail({ kind: 'stream-error', afterChunks: 3 }, { model: 'gpt-4.1-nano' });
    const data = await streamedData({ model: 'faulty' });
    assert.equal(data.includes('[DONE]'), false, 'a failed stream claimed to be complete');
    const last = JSON.parse(data.at(-1)!) as { error?: { message: string } };
    assert.ok(last.error, `the last event is not an error: ${data.at(-1)}`);
  });
});
