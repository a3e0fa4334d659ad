import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { chat } from '../helpers/admin.ts';
import { closeAll, startGateway, type TestGateway } from '../helpers/gateway.ts';
import { AnthropicSimulator } from '../simulators/anthropic/server.ts';
import { OpenAISimulator } from '../simulators/openai/server.ts';

const masterKey = 'sb-auth-failover-master';

/**
 * Issue 13, defect 13a: a provider that rejects its key (401/403) rejects it again on every
 * retry, so the request moves on to the next candidate at once, with no retry and no backoff on
 * the same deployment; with no candidate left it fails with a 502 naming the attempt.
 */
describe('a provider key the provider rejects', () => {
  let primary: OpenAISimulator;
  let backup: OpenAISimulator;
  let gateway: TestGateway;

  before(async () => {
    primary = await new OpenAISimulator({ apiKey: 'primary-key-0123456789' }).start();
    backup = await new OpenAISimulator({ apiKey: 'backup-key-0123456789' }).start();
    gateway = await startGateway({
      server: { master_key: masterKey },
      providers: [
        // Configured with a key the provider does not take.
        { id: 'primary', type: 'openai', base_url: primary.url, api_key: 'revoked-key-0123456789' },
        { id: 'backup', type: 'openai', base_url: backup.url, api_key: 'backup-key-0123456789' },
      ],
      models: [
        { id: 'first', provider: 'primary', upstream: 'gpt-4o-mini' },
        { id: 'second', provider: 'backup', upstream: 'gpt-4o-mini' },
      ],
      routes: [
        // Retries and a long backoff: a retry on the rejected key would show in both.
        { id: 'with-backup', strategy: 'ordered', candidates: ['first', 'second'], retry: { attempts: 2, backoff_ms: 10_000 } },
        { id: 'alone', strategy: 'ordered', candidates: ['first'], retry: { attempts: 2, backoff_ms: 10_000 } },
      ],
    });
  });

  after(async () => {
    await closeAll(gateway, primary, backup);
  });

  it('makes one attempt on it, then the next candidate answers at once', async () => {
    const primaryCalls = primary.chatCalls().length;
    const started = performance.now();
    const answer = await chat(gateway.origin, masterKey, { model: 'with-backup', messages: [{ role: 'user', content: 'hi' }] });
    const elapsedMs = performance.now() - started;
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.headers.get('x-switchboard-provider'), 'backup');
    assert.equal(answer.headers.get('x-switchboard-attempts'), '2');
    assert.equal(primary.chatCalls().length - primaryCalls, 1, 'the rejected key was tried again');
    // A backoff would wait at least 5 s (10 s ± 50%); the bound leaves room for a loaded machine.
    assert.ok(elapsedMs < 4_000, `the fallback waited ${Math.round(elapsedMs)} ms (a backoff)`);
    const row = await gateway.ledgerRow(answer);
    assert.deepEqual(
      row?.attempts.map((attempt) => [attempt.provider, attempt.outcome, attempt.errorCode ?? null, attempt.upstreamStatus ?? null]),
      [
        ['primary', 'error', 'SB_ERR_UPSTREAM_AUTH', 401],
        ['backup', 'ok', null, 200],
      ],
    );
  });

  it('with no other candidate, fails after that one attempt with a 502 naming it', async () => {
    const primaryCalls = primary.chatCalls().length;
    const answer = await chat(gateway.origin, masterKey, { model: 'alone', messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(answer.status, 502, answer.text);
    assert.equal(primary.chatCalls().length - primaryCalls, 1);
    assert.equal(answer.headers.get('x-switchboard-attempts'), '1');
    assert.match(answer.json?.error?.message ?? '', /^1 attempt failed: primary\/gpt-4o-mini: Provider "primary" answered 401: Incorrect API key provided\.$/);
  });
});

/**
 * An Anthropic account out of credit: the API answers every request with a 400
 * `invalid_request_error` "Your credit balance is too low to access the Anthropic API"
 * (anthropics/claude-code#4684), not the 402 `billing_error` its errors page lists. It is the
 * deployment's failure, like a rejected key: the next candidate answers at once, and the caller
 * never gets the provider's 400 as if its request were bad.
 */
describe('an Anthropic account out of credit (a 400 "credit balance is too low")', () => {
  let claude: AnthropicSimulator;
  let backup: OpenAISimulator;
  let gateway: TestGateway;
  const outOfCredit = {
    kind: 'status' as const,
    status: 400,
    body: { type: 'error', error: { type: 'invalid_request_error', message: 'Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits.' } },
  };

  before(async () => {
    claude = await new AnthropicSimulator().start();
    backup = await new OpenAISimulator({ apiKey: 'backup-key-0123456789' }).start();
    gateway = await startGateway({
      server: { master_key: masterKey },
      providers: [
        { id: 'claude', type: 'anthropic', base_url: claude.url, api_key: claude.apiKey },
        { id: 'backup', type: 'openai', base_url: backup.url, api_key: 'backup-key-0123456789' },
      ],
      models: [
        { id: 'sonnet', provider: 'claude', upstream: 'claude-sonnet-4-5' },
        { id: 'mini', provider: 'backup', upstream: 'gpt-4o-mini' },
      ],
      routes: [{ id: 'claude-first', strategy: 'ordered', candidates: ['sonnet'], fallbacks: ['mini'], retry: { attempts: 2, backoff_ms: 10_000 } }],
    });
  });

  after(() => closeAll(gateway, claude, backup));

  for (const stream of [false, true]) {
    it(`falls back to the next candidate at once, not retried and not returned as the caller's 400 (stream: ${stream})`, async () => {
      claude.fail(outOfCredit);
      const claudeCalls = claude.messageCalls().length;
      const started = performance.now();
      const answer = await chat(gateway.origin, masterKey, { model: 'claude-first', stream, messages: [{ role: 'user', content: 'hi' }] });
      assert.equal(answer.status, 200, answer.text);
      assert.ok(performance.now() - started < 4_000, 'the out-of-credit deployment was retried after a backoff');
      assert.equal(answer.headers.get('x-switchboard-provider'), 'backup');
      assert.equal(claude.messageCalls().length - claudeCalls, 1, 'the account out of credit was called again');
      const row = await gateway.ledgerRow(answer);
      assert.deepEqual(
        row?.attempts.map((attempt) => [attempt.provider, attempt.outcome, attempt.errorCode ?? null, attempt.upstreamStatus ?? null]),
        [
          ['claude', 'error', 'SB_ERR_UPSTREAM_AUTH', 400],
          ['backup', 'ok', null, 200],
        ],
      );
    });
  }
});
