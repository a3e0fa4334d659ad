import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import { betaZodTool } from '@anthropic-ai/sdk/helpers/beta/zod';
import { z } from 'zod/v4';
import type { AnthropicSimulator } from '../simulators/anthropic/server.ts';
import type { OpenAISimulator } from '../simulators/openai/server.ts';
import { anthropicClient } from '../helpers/anthropic-client.ts';
import type { TestGateway } from '../helpers/gateway.ts';
import { startGptAndClaude } from '../helpers/gpt-and-claude.ts';

/**
 * The SDK's tool runner (`client.beta.messages.toolRunner`) runs over a message thread on the
 * default client: its first turn asks for `thread: {"type": "create"}` and each later one sends
 * only the new messages with `thread: {"type": "continue", ...}`. Switchboard keeps no
 * conversation between requests, so it refuses `thread` as Anthropic refuses a thread it cannot
 * hold (`details.error_code` `thread_unsupported_request`), and the runner sends the full
 * conversation each turn. Before, the second turn (a lone tool_result) was refused as unpaired.
 */
const masterKey = 'sb-master-message-threads';

describe('Anthropic ingress: message threads (the SDK tool runner)', () => {
  let openai: OpenAISimulator;
  let anthropic: AnthropicSimulator;
  let gateway: TestGateway;
  let close: () => Promise<void>;
  let sdk: Anthropic;
  let runs = 0;
  const weather = betaZodTool({
    name: 'get_weather',
    description: 'The weather in a city',
    inputSchema: z.object({ city: z.string() }),
    run: async ({ city }) => {
      runs += 1;
      return `Sunny in ${city}`;
    },
  });

  before(async () => {
    ({ gateway, openai, anthropic, close } = await startGptAndClaude(masterKey));
    sdk = anthropicClient(gateway, masterKey);
  });

  after(() => close());

  for (const stream of [false, true]) {
    it(`runs a two-turn tool loop on an OpenAI model${stream ? ', streamed' : ''}, each turn with the whole conversation`, async () => {
      runs = 0;
      const calls = openai.chatCalls().length;
      const runner = sdk.beta.messages.toolRunner({ model: 'gpt', max_tokens: 300, tools: [weather], messages: [{ role: 'user', content: 'Weather in Oslo?' }], stream });
      const replies: Anthropic.Beta.BetaMessage[] = [];
      for await (const reply of runner) replies.push(reply instanceof Object && 'finalMessage' in reply ? await reply.finalMessage() : (reply as Anthropic.Beta.BetaMessage));
      assert.deepStrictEqual(replies.map((reply) => reply.stop_reason), ['tool_use', 'end_turn']);
      assert.equal(runs, 1);
      const second = openai.chatCalls().slice(calls)[1]!.body!.messages as Array<{ role: string }>;
      assert.deepStrictEqual(second.map((message) => message.role), ['user', 'assistant', 'tool']);
      assert.match((replies[1]!.content[0] as Anthropic.Beta.BetaTextBlock).text, /Sunny in value-city/);
    });
  }

  it('runs the tool loop on an Anthropic model without relaying `thread`', async () => {
    runs = 0;
    const calls = anthropic.messageCalls().length;
    const final = await sdk.beta.messages.toolRunner({ model: 'claude', max_tokens: 300, tools: [weather], messages: [{ role: 'user', content: 'Weather in Oslo?' }] });
    assert.equal(final.stop_reason, 'end_turn');
    assert.equal(runs, 1);
    const bodies = anthropic.messageCalls().slice(calls).map((call) => call.body!);
    assert.equal(bodies.length, 2);
    assert.ok(bodies.every((body) => !('thread' in body)));
    assert.equal((bodies[1]!.messages as unknown[]).length, 3);
  });

  it('refuses a thread with Anthropic\'s thread_unsupported_request, before any provider is called', async () => {
    const calls = openai.chatCalls().length;
    const thread = sdk.beta.messages.thread({ model: 'gpt', max_tokens: 50 });
    await assert.rejects(thread.send({ role: 'user', content: 'hi' }), (error: unknown) => {
      assert.ok(error instanceof Anthropic.ThreadUnsupportedRequestError, String(error));
      assert.equal(error.status, 400);
      assert.equal(error.type, 'invalid_request_error');
      assert.match(error.message, /Message threads are not supported/);
      return true;
    });
    assert.equal(openai.chatCalls().length, calls);
  });
});
