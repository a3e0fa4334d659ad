import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import type OpenAI from 'openai';
import { OpenAISimulator } from '../simulators/openai/server.ts';
import { closeAll, startGateway, type TestGateway } from '../helpers/gateway.ts';
import { openaiClient } from '../helpers/openai-client.ts';

const masterKey = 'sb-circuit-master';

/**
 * The circuit breaker over an outage and its end (issue 14): a deployment that keeps failing is
 * taken out after `cooldown.failures` failures and no call of the request that opened it goes to it
 * again; once a cooldown has passed, one probe (a single call, never retried) goes through; a
 * failed probe doubles the cooldown once; the first successful probe lets the provider back in.
 * Time is compressed: a 200 ms first cooldown.
 */
describe('circuit breaker over an outage and its recovery (real gateway, official openai SDK)', () => {
  let primary: OpenAISimulator;
  let spare: OpenAISimulator;
  let gateway: TestGateway;
  let client: OpenAI;

  before(async () => {
    primary = await new OpenAISimulator({ apiKey: 'primary-key', models: ['main-model'] }).start();
    spare = await new OpenAISimulator({ apiKey: 'spare-key', models: ['spare-model'] }).start();
    gateway = await startGateway({
      server: { master_key: masterKey },
      providers: [
        { id: 'primary', type: 'openai', base_url: primary.url, api_key: 'primary-key', cooldown: { failures: 2, seconds: 0.2 } },
        { id: 'spare', type: 'openai', base_url: spare.url, api_key: 'spare-key' },
      ],
      models: [
        { id: 'main', provider: 'primary', upstream: 'main-model' },
        { id: 'backup', provider: 'spare', upstream: 'spare-model' },
      ],
      routes: [{ id: 'guarded', strategy: 'ordered', candidates: ['main', 'backup'], retry: { attempts: 3, backoff_ms: 1 } }],
    });
    client = openaiClient(gateway, masterKey);
  });

  after(() => closeAll(gateway, primary, spare));

  const ask = async () => {
    const { response } = await client.chat.completions.create({ model: 'guarded', messages: [{ role: 'user', content: 'hello' }] }).withResponse();
    return response.headers.get('x-switchboard-model');
  };

  it('probes once per cooldown during the outage, doubling it once per failed probe, and lets the provider back in after it recovers', async () => {
    primary.down({ kind: 'status', status: 503 });
    const outageStarted = performance.now();
    assert.equal(await ask(), 'backup');
    assert.equal(primary.chatCalls().length, 2, 'the request that opened the circuit went on retrying the deployment');

    const perRequest: number[] = [];
    while (performance.now() - outageStarted < 2000) {
      const calls = primary.chatCalls().length;
      assert.equal(await ask(), 'backup');
      perRequest.push(primary.chatCalls().length - calls);
      await sleep(20);
    }
    assert.ok(perRequest.every((count) => count <= 1), `a probe was retried: ${perRequest.join(',')}`);
    const times = primary.chatCalls().map((call) => call.receivedAt);
    const gaps = times.slice(2).map((time, index) => time - times[index + 1]!);
    // Cooldowns of 200, 400, 800 ms: three probes in the 2 s outage, each after its cooldown.
    assert.ok(gaps.length >= 2 && gaps.length <= 3, `probes during the outage: ${gaps.length}`);
    gaps.forEach((gap, index) => assert.ok(gap >= 200 * 2 ** index - 25, `probe ${index + 1} came ${Math.round(gap)} ms after the last call, before its cooldown`));
    gaps.slice(1).forEach((gap, index) => assert.ok(gap < 200 * 2 ** (index + 2), `cooldown ${index + 2} grew more than twice: ${gaps.map(Math.round).join(', ')} ms`));

    primary.up();
    const recovered = performance.now();
    let answeredBy: string | null = 'backup';
    while (answeredBy !== 'main' && performance.now() - recovered < 3000) {
      answeredBy = await ask();
      await sleep(20);
    }
    assert.equal(answeredBy, 'main', 'the recovered provider was never tried again');
    assert.equal(await ask(), 'main', 'one successful probe closes the circuit');
    const rows = await gateway.ledger();
    const probes = rows.filter((row) => row.attempts.length === 2 && row.attempts[0]!.provider === 'primary');
    assert.ok(probes.length >= 2, 'probe requests are in the ledger with their single primary attempt');
  });
});

describe('every candidate in cooldown', () => {
  let only: OpenAISimulator;
  let gateway: TestGateway;

  before(async () => {
    only = await new OpenAISimulator({ apiKey: 'only-key', models: ['only-model'] }).start();
    gateway = await startGateway({
      server: { master_key: masterKey },
      providers: [{ id: 'only', type: 'openai', base_url: only.url, api_key: 'only-key', cooldown: { failures: 2, seconds: 5 } }],
      models: [{ id: 'single', provider: 'only', upstream: 'only-model' }],
      routes: [{ id: 'lonely', strategy: 'ordered', candidates: ['single'], retry: { attempts: 1, backoff_ms: 1 } }],
    });
  });
  after(() => closeAll(gateway, only));

  const ask = (model: string) =>
    fetch(`${gateway.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${masterKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hello' }] }),
    });

  it('answers 503 without a call, with retry-after until the probe may go, through the route and by name', async () => {
    only.down({ kind: 'status', status: 503 });
    assert.equal((await ask('lonely')).status, 503);
    assert.equal(only.chatCalls().length, 2, 'the failures that open the circuit');
    for (const model of ['lonely', 'single']) {
      const answer = await ask(model);
      assert.equal(answer.status, 503);
      assert.equal(answer.headers.get('x-switchboard-attempts'), '0');
      assert.equal(answer.headers.get('x-switchboard-route'), model === 'lonely' ? 'lonely' : 'none');
      const retryAfter = Number(answer.headers.get('retry-after'));
      assert.ok(retryAfter >= 4 && retryAfter <= 5, `retry-after ${retryAfter}: the cooldown has about 5 s left`);
      assert.match(((await answer.json()) as { error: { message: string } }).error.message, /every candidate is in cooldown/);
    }
    assert.equal(only.chatCalls().length, 2, 'a request reached the provider in its cooldown');
  });
});
