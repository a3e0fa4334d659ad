import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { OpenAISimulator, type OpenAISimulatorOptions } from '../simulators/openai/server.ts';
import { closeAll, startGateway } from '../helpers/gateway.ts';
import { openaiClient } from '../helpers/openai-client.ts';

/** Two OpenAI simulators, east and west, behind one `balance` route; `limits`: each provider's configured limits. */
async function balancedPair(east: OpenAISimulatorOptions, limits: { east?: { tpm: number }; west?: { tpm: number } } = {}) {
  const simulators = { east: await new OpenAISimulator({ apiKey: 'east-key', ...east }).start(), west: await new OpenAISimulator({ apiKey: 'west-key' }).start() };
  const gateway = await startGateway({
    providers: (['east', 'west'] as const).map((id) => ({ id, type: 'openai', base_url: simulators[id].url, api_key: `${id}-key`, ...(limits[id] ? { limits: limits[id] } : {}) })),
    models: [
      { id: 'a', provider: 'east', upstream: 'gpt-4o-mini' },
      { id: 'b', provider: 'west', upstream: 'gpt-4o-mini' },
    ],
    routes: [{ id: 'even', strategy: 'balance', candidates: ['a', 'b'] }],
  });
  return { ...simulators, gateway, close: () => closeAll(gateway, simulators.east, simulators.west) };
}

/**
 * The balance strategy steers by the rate-limit headers providers send (x-ratelimit-remaining-*),
 * which the gateway reads only when a route's strategy ranks by them (issue 15: no header parsing
 * on every answer for nothing). A provider whose headers say its minute is used up gets no more
 * traffic while the other one has room.
 */
describe('balance reads the providers’ rate-limit headers', () => {
  let pair: Awaited<ReturnType<typeof balancedPair>>;
  before(async () => (pair = await balancedPair({ requestsPerMinute: 8 })));
  after(() => pair.close());

  it('sends nothing more to a provider that reported no requests left, while the other has room', async () => {
    const client = openaiClient(pair.gateway, 'unused');
    for (let index = 0; index < 60; index += 1) {
      await client.chat.completions.create({ model: 'even', messages: [{ role: 'user', content: 'hi' }] });
    }
    // An even split would give east about 30 of 60; its headers say 8 a minute, and balance
    // stops sending once they report 0 left (a request or two may be in flight as they arrive).
    const eastCalls = pair.east.chatCalls().length;
    assert.ok(eastCalls >= 1 && eastCalls <= 9, `east answered ${eastCalls} of 60 with 8 requests a minute`);
    assert.equal(eastCalls + pair.west.chatCalls().length, 60);
  });
});

/**
 * A provider's configured `limits.tpm` (SPEC's example config): balance counts the prompt tokens
 * it dispatched to each provider this minute and sends nothing more to one whose limit they reach.
 * The tokens are the prompt's estimate (a quarter of its UTF-8 bytes), not a tokenizer count.
 */
describe('balance stays under a provider’s configured tokens per minute', () => {
  let pair: Awaited<ReturnType<typeof balancedPair>>;
  before(async () => (pair = await balancedPair({}, { east: { tpm: 3_000 }, west: { tpm: 10_000_000 } })));
  after(() => pair.close());

  it('sends nothing more to a provider once this minute’s prompts reach its limit', async () => {
    const client = openaiClient(pair.gateway, 'unused');
    // About 1,000 tokens a request (4 KB of English): east's 3,000 a minute hold three of them.
    const context = 'The router picks a provider for every request by cost, latency and load. '.repeat(55);
    for (let index = 0; index < 30; index += 1) {
      await client.chat.completions.create({ model: 'even', messages: [{ role: 'system', content: context }, { role: 'user', content: 'hi' }] });
    }
    const eastCalls = pair.east.chatCalls().length;
    assert.ok(eastCalls >= 1 && eastCalls <= 4, `east answered ${eastCalls} of 30 with 3,000 tokens a minute`);
    assert.equal(eastCalls + pair.west.chatCalls().length, 30);
  });
});
