import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { adminClient } from '../helpers/admin.ts';
import { closeAll, startGateway, type TestGateway } from '../helpers/gateway.ts';
import { rawPost } from '../helpers/http.ts';
import { OpenAISimulator } from '../simulators/openai/server.ts';

const masterKey = 'sb-master-key-body-leak';
/** The outside probe's key: a provider echoed it without its `sk-proj-` prefix. */
const providerKey = 'sk-proj-PROBEOPENAIKEY1234567890abcdef';
const keyBody = 'PROBEOPENAIKEY1234567890abcdef';

/**
 * ../shared/SPEC.md "What is recorded": provider keys never appear in logs, rows or errors. A
 * provider that echoes its key without the documented prefix, or only part of it, must not get it
 * past the gateway (src/providers/_shared/redact-secrets.ts): not to the caller, the ledger row,
 * the CSV export, nor the log lines.
 */
describe('a provider key echoed without its prefix, or in part, never leaves the gateway', () => {
  let simulator: OpenAISimulator;
  let gateway: TestGateway;

  before(async () => {
    simulator = await new OpenAISimulator({ apiKey: providerKey }).start();
    gateway = await startGateway({
      server: { master_key: masterKey },
      providers: [{ id: 'oai', type: 'openai', base_url: simulator.url, api_key: providerKey }],
      models: [{ id: 'fast', provider: 'oai', upstream: 'gpt-4o-mini' }],
    });
  });

  after(() => closeAll(gateway, simulator));

  for (const [name, echoed, secretPart] of [
    ['its body', keyBody, keyBody],
    ['its last 16 characters', `sk-proj-**************${providerKey.slice(-16)}`, providerKey.slice(-16)],
  ] as const) {
    it(`takes out ${name}: from the answer, the row, the CSV and the logs`, async () => {
      const message = `Incorrect API key provided: ${echoed}. You can find your API key at https://platform.openai.com/account/api-keys.`;
      simulator.fail({ kind: 'status', status: 401, body: { error: { message, type: 'invalid_request_error', param: null, code: 'invalid_api_key' } } }, { model: 'gpt-4o-mini' });
      const logsBefore = gateway.logs.length;
      const answer = await rawPost(gateway.origin, '/v1/chat/completions', { model: 'fast', messages: [{ role: 'user', content: 'hi' }] }, { key: masterKey });
      assert.equal(answer.status, 502, answer.text);
      assert.match(answer.text, /Incorrect API key provided: .*\[redacted\]/);
      const row = await gateway.ledgerRow(answer);
      assert.ok(row, 'the request has a ledger row');
      const csv = await adminClient(gateway.origin, masterKey).get<string>(`/admin/usage?format=csv&request_id=${answer.headers.get('x-request-id')}`);
      assert.equal(csv.status, 200, csv.text);
      assert.match(csv.text, /\[redacted\]/, 'the CSV holds the request');
      const places: Record<string, string> = {
        answer: answer.text + JSON.stringify([...answer.headers]),
        'ledger row': JSON.stringify(row),
        CSV: csv.text,
        logs: gateway.logs.slice(logsBefore).join('\n'),
      };
      const leaks = Object.entries(places).filter(([, text]) => text.includes(secretPart)).map(([place]) => place);
      assert.deepEqual(leaks, [], `the key's characters reached: ${leaks.join(', ')}`);
    });
  }
});
