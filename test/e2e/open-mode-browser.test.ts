import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { closeAll, startGateway, type TestGateway } from '../helpers/gateway.ts';
import { OpenAISimulator } from '../simulators/openai/server.ts';

/**
 * Without a master key the gateway is open to the programs of its machine (it listens on
 * localhost). A web page the user visits can reach localhost too: a cross-site POST with a
 * text/plain body needs no CORS preflight (and every content type is read as JSON), and a page on
 * a name rebound to 127.0.0.1 (DNS rebinding) reads the answers. Browsers name the page in
 * `Origin`: one from another site gets a 401, reaches no provider and has a ledger row.
 */
describe('open access (no master key) refuses web pages of other sites', () => {
  let simulator: OpenAISimulator;
  let gateway: TestGateway;
  const body = JSON.stringify({ model: 'fast', messages: [{ role: 'user', content: 'hi' }] });
  const post = (path: string, headers: Record<string, string>) =>
    fetch(`${gateway.origin}${path}`, { method: 'POST', headers: { 'content-type': 'text/plain;charset=UTF-8', ...headers }, body });

  before(async () => {
    simulator = await new OpenAISimulator().start();
    gateway = await startGateway({
      providers: [{ id: 'oai', type: 'openai', base_url: simulator.url, api_key: simulator.apiKey }],
      models: [{ id: 'fast', provider: 'oai', upstream: 'gpt-4o-mini' }],
    });
  });

  after(() => closeAll(gateway, simulator));

  for (const origin of ['https://attacker.example', 'http://rebound.attacker.example:4000', 'null']) {
    it(`refuses a POST from a page of ${origin}, before any provider, with a ledger row`, async () => {
      const calls = simulator.requests.length;
      for (const path of ['/v1/chat/completions', '/v1/messages', '/v1/route/explain', '/v1/feedback']) {
        const answer = await post(path, { origin });
        const text = await answer.text();
        assert.equal(answer.status, 401, `${path}: ${text.slice(0, 200)}`);
        assert.match(text, /web page/);
      }
      assert.equal(simulator.requests.length, calls, 'a provider was called');
      const rows = await gateway.ledger();
      assert.ok(rows.some((row) => row.httpStatus === 401 && row.endpoint === 'chat'), 'the refused chat has a ledger row');
    });
  }

  it('still serves programs (no Origin) and pages of this machine', async () => {
    const pages: Array<Record<string, string>> = [{}, { origin: 'http://localhost:3000' }, { origin: 'http://127.0.0.1:5173' }, { origin: 'http://[::1]:8080' }, { origin: 'http://app.localhost' }];
    // Software installed here names itself with a scheme no web page has: an extension, a webview, an app.
    pages.push({ origin: 'chrome-extension://abcdefghijklmnopabcdefghijklmnop' }, { origin: 'moz-extension://2b5f1c9e-0000-4000-8000-000000000000' }, { origin: 'vscode-webview://1abc' }, { origin: 'tauri://localhost' });
    for (const headers of pages) {
      const answer = await post('/v1/chat/completions', headers);
      assert.equal(answer.status, 200, `${JSON.stringify(headers)}: ${(await answer.text()).slice(0, 200)}`);
      await answer.arrayBuffer().catch(() => undefined);
    }
  });
});
