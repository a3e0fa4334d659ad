import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type OpenAI from 'openai';
import { GeminiSimulator } from '../simulators/gemini/server.ts';
import { anthropicClient } from '../helpers/anthropic-client.ts';
import { closeAll, startGateway, type TestGateway } from '../helpers/gateway.ts';
import { openaiClient } from '../helpers/openai-client.ts';

/**
 * Translation details of the Gemini provider found by an outside review against
 * ../shared/specs/gemini: values the proto's int32 fields cannot hold, the 5-stop-sequence limit,
 * and JSON Schema keywords Gemini does not take, each a warning on the ledger row or a 400 before
 * any call, never a request changed silently or a provider's 400 after an attempt.
 */

const masterKey = 'sb-master-gemini-fidelity';

describe('Gemini provider: values and limits of the protos (official SDKs)', () => {
  let simulator: GeminiSimulator;
  let gateway: TestGateway;
  let client: OpenAI;

  before(async () => {
    simulator = await new GeminiSimulator().start();
    gateway = await startGateway({
      server: { master_key: masterKey },
      providers: [{ id: 'gem', type: 'gemini', base_url: simulator.url, api_key: simulator.apiKey, timeout_ms: 2000 }],
      models: [{ id: 'flash', provider: 'gem', upstream: 'gemini-2.5-flash', pricing: { input_per_mtok: 0.3, output_per_mtok: 2.5 } }],
    });
    client = openaiClient(gateway, masterKey);
  });

  after(() => closeAll(gateway, simulator));

  it('answers a request whose seed no int32 holds (a timestamp), without the seed and with a warning on the row', async () => {
    const { data, response } = await client.chat.completions.create({ model: 'flash', seed: 1_733_561_234_567, messages: [{ role: 'user', content: 'Hello' }] }).withResponse();
    assert.equal(data.choices[0]?.finish_reason, 'stop');
    assert.equal(simulator.chatCalls().at(-1)!.body?.generationConfig, undefined, 'no seed was sent');
    const row = (await gateway.ledgerRow(response))!;
    assert.deepEqual(row.warnings.map((warning) => warning.setting), ['seed']);
  });

  it('refuses more than 5 stop sequences (Anthropic ingress allows more) with a 400 before any call', async () => {
    const calls = simulator.chatCalls().length;
    const anthropic = anthropicClient(gateway, masterKey);
    await assert.rejects(
      anthropic.messages.create({ model: 'flash', max_tokens: 100, stop_sequences: ['1', '2', '3', '4', '5', '6'], messages: [{ role: 'user', content: 'count' }] }),
      (error: unknown) => error instanceof Error && (error as { status?: number }).status === 400 && /at most 5 stop sequences/.test(error.message),
    );
    assert.equal(simulator.chatCalls().length, calls, 'Gemini was not called');
  });

  it('says on the row which response-schema keywords beside a $ref Gemini does not take', async () => {
    const schema = {
      type: 'object',
      properties: { home: { $ref: '#/$defs/Address', description: 'Where they live' } },
      required: ['home'],
      $defs: { Address: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
    };
    const { response } = await client.chat.completions
      .create({ model: 'flash', messages: [{ role: 'user', content: 'Where?' }], response_format: { type: 'json_schema', json_schema: { name: 'home', schema } } })
      .withResponse();
    const row = (await gateway.ledgerRow(response))!;
    const warning = row.warnings.find((item) => item.setting === 'response_format.json_schema.schema');
    assert.match(String(warning?.message), /properties\.home\.description/);
  });
});

describe('Gemini simulator: int32 fields as the proto JSON parser reads them', () => {
  let simulator: GeminiSimulator;

  before(async () => {
    simulator = await new GeminiSimulator().start();
  });

  after(async () => {
    await simulator.close();
  });

  it('refuses an int32 field out of range, and takes the int32 bounds', async () => {
    const post = (generationConfig: Record<string, unknown>) =>
      fetch(`${simulator.url}/v1beta/models/gemini-2.5-flash:generateContent`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-goog-api-key': simulator.apiKey },
        body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'hi' }] }], generationConfig }),
      });
    const tooBig = await post({ seed: 2 ** 31 });
    assert.equal(tooBig.status, 400);
    assert.equal(((await tooBig.json()) as { error: { message: string } }).error.message, "Invalid value at 'generation_config.seed' (TYPE_INT32), 2147483648");
    assert.equal((await post({ maxOutputTokens: 5_000_000_000 })).status, 400);
    assert.equal((await post({ seed: -(2 ** 31), maxOutputTokens: 2 ** 31 - 1 })).status, 200);
  });
});
