import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { chat } from '../helpers/admin.ts';
import { closeAll, startGateway, type TestGateway } from '../helpers/gateway.ts';
import { GeminiSimulator } from '../simulators/gemini/server.ts';
import { OpenAISimulator } from '../simulators/openai/server.ts';

const masterKey = 'sb-master-gemini-no-candidates';

/**
 * Issue 13, defect 6 (second half): a Gemini 200 without candidates is no answer, and must not
 * reach the caller as an empty 200 at $0. A blocked prompt (`promptFeedback.blockReason`) is a
 * content-policy refusal: a 400 with the reason, after one attempt (any model would refuse it).
 * No candidates and no reason is an invalid answer: retryable, so the next candidate answers.
 * (Streamed answers: src/providers/gemini/gemini-stream.test.ts and gemini-adapter.test.ts.)
 */
describe('Gemini answers without candidates', () => {
  let gemini: GeminiSimulator;
  let backup: OpenAISimulator;
  let gateway: TestGateway;

  before(async () => {
    gemini = await new GeminiSimulator().start();
    backup = await new OpenAISimulator({ apiKey: 'backup-key-0123456789' }).start();
    gateway = await startGateway({
      server: { master_key: masterKey },
      providers: [
        { id: 'gem', type: 'gemini', base_url: gemini.url, api_key: gemini.apiKey },
        { id: 'backup', type: 'openai', base_url: backup.url, api_key: 'backup-key-0123456789' },
      ],
      models: [
        { id: 'flash', provider: 'gem', upstream: 'gemini-2.5-flash', pricing: { input_per_mtok: 0.3, output_per_mtok: 2.5 } },
        { id: 'mini', provider: 'backup', upstream: 'gpt-4o-mini', pricing: { input_per_mtok: 0.15, output_per_mtok: 0.6 } },
      ],
      routes: [{ id: 'gemini-first', strategy: 'ordered', candidates: ['flash', 'mini'] }],
    });
  });

  after(() => closeAll(gateway, gemini, backup));

  const ask = (model: string) => chat(gateway.origin, masterKey, { model, messages: [{ role: 'user', content: 'hi' }] });

  it('answers a blocked prompt with a 400 naming the block reason, without trying another model', async () => {
    const backupCalls = backup.chatCalls().length;
    gemini.fail({ kind: 'status', status: 200, body: { promptFeedback: { blockReason: 'SAFETY' }, usageMetadata: { promptTokenCount: 5, totalTokenCount: 5 } } });
    const answer = await ask('gemini-first');
    assert.equal(answer.status, 400, answer.text);
    assert.equal(answer.json?.error?.type, 'invalid_request_error');
    assert.match(answer.json?.error?.message ?? '', /Provider "gem" blocked the prompt under its content policy; rephrase it: blockReason SAFETY/);
    assert.equal(backup.chatCalls().length, backupCalls);
    const row = await gateway.ledgerRow(answer);
    assert.deepEqual([row?.status, row?.httpStatus, row?.errorCode, row?.attempts.length], ['error', 400, 'SB_ERR_UPSTREAM_BAD_REQUEST', 1]);
  });

  it('moves on from an answer with no candidates and no reason, and fails with a 502 when none is left', async () => {
    gemini.fail({ kind: 'status', status: 200, body: { candidates: [], usageMetadata: { promptTokenCount: 5 } } });
    const fellBack = await ask('gemini-first');
    assert.equal(fellBack.status, 200, fellBack.text);
    assert.equal(fellBack.headers.get('x-switchboard-provider'), 'backup');
    assert.ok(fellBack.json?.choices?.[0]?.message.content, 'the answer has content');

    gemini.fail({ kind: 'status', status: 200, body: { modelVersion: 'gemini-2.5-flash' } });
    const alone = await ask('flash');
    assert.equal(alone.status, 502, alone.text);
    assert.match(alone.json?.error?.message ?? '', /Provider "gem" answered with no candidates and no reason/);
    const row = await gateway.ledgerRow(alone);
    assert.equal(row?.errorCode, 'SB_ERR_UPSTREAM_INVALID_RESPONSE');
  });
});
