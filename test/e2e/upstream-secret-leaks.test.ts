import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { adminClient } from '../helpers/admin.ts';
import { closeAll, startGateway, type TestGateway } from '../helpers/gateway.ts';
import { rawPost, type RawAnswer } from '../helpers/http.ts';
import { AnthropicSimulator } from '../simulators/anthropic/server.ts';
import { echoedCredentials } from '../simulators/_shared/base-simulator.ts';
import { BedrockSimulator } from '../simulators/bedrock/server.ts';
import { CohereSimulator } from '../simulators/cohere/server.ts';
import { GeminiSimulator } from '../simulators/gemini/server.ts';
import { MistralSimulator } from '../simulators/mistral/server.ts';
import { OpenAISimulator } from '../simulators/openai/server.ts';

/**
 * Issue 13, defect 3: a provider (or a proxy in front of it) that echoes the credentials it was
 * sent in its error text must not make the gateway pass them on. Every provider type answers with
 * its own error shape holding the request's credential headers (base-simulator.ts
 * `echoedCredentials`): as a non-2xx answer to a plain call and to a stream, and as an in-band
 * error after the stream has started. The secrets must then be in none of: the caller's answer
 * (body and headers), the request's ledger row (attempts[].message, error_message, everything),
 * the log lines written while it ran.
 */

const masterKey = 'sb-master-upstream-secret-leaks';

/** The secrets of each provider, in the shapes the real providers give them. */
const keys = {
  openai: 'sk-proj-A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6',
  compatible: 'vllm-token-7f3a9c2e5b8d1f4a',
  azure: '0f1e2d3c4b5a69788796a5b4c3d2e1f0',
  groq: 'gsk_Q2x9Lm4Np7Rt1Vw3Yz5Bc8Df0Gh2Jk4Mn6Pq8St0Uv2Wx4Yz6Ab',
  deepseek: 'sk-5d41402abc4b2a76b9719d911017c592',
  together: '9b74c9897bac770ffc029102a200c5de9b74c9897bac770ffc029102a200c5de',
  openrouter: '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',
  ollama: 'ollama-proxy-token-5e6f7a8b9c0d',
  anthropic: 'sk-ant-api03-Zx8Yw7Vu6Ts5Rq4Po3Nm2Lk1Ji0Hg9Fe8Dc7Ba6-AAAA',
  gemini: 'AIzaSyD4x7Qp2Lm9Rt6Vw3Yz8Bc1Df5Gh0Jk2Mn4',
  bedrock: 'ABSKQmVkcm9ja0FQSUtleS1zaW11bGF0b3ItMDEyMzQ1Njc4OQ==',
  mistral: 'Xq7Lm2Np9Rt4Vw1Yz6Bc3Df8Gh5Jk0Mn2',
  cohere: 'Rz4Tx8Vb2Nm6Qw1Ep5Lk9Jh3Gf7Ds0Aa2Cc4Ee6Gg',
  runtimeCompatible: 'runtime-upstream-secret-4c1d9e7a2b',
  runtimeAnthropic: 'sk-ant-api03-RuNtImE0987654321zyxwvutsrqp-BBBB',
};
const sigv4 = {
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  sessionToken: 'IQoJb3JpZ2luX2VjEXAMPLEsessionTOKENvalue0123456789abcdef',
};

type Shape = 'openai' | 'anthropic' | 'gemini' | 'bedrock' | 'mistral' | 'cohere';

/** Each protocol's 401/403 body, its message holding the echoed credentials. */
function echoingStatusFault(shape: Shape): Record<string, unknown> {
  const echo = `Invalid credentials (${echoedCredentials})`;
  switch (shape) {
    case 'openai':
      return { kind: 'status', status: 401, body: { error: { message: echo, type: 'invalid_request_error', param: null, code: 'invalid_api_key' } } };
    case 'anthropic':
      return { kind: 'status', status: 401, body: { type: 'error', error: { type: 'authentication_error', message: echo }, request_id: 'req_echo' } };
    case 'gemini':
      return { kind: 'status', status: 401, body: { error: { code: 401, message: echo, status: 'UNAUTHENTICATED' } } };
    case 'bedrock':
      return { kind: 'status', status: 403, errorType: 'UnrecognizedClientException', message: echo };
    case 'mistral':
      return { kind: 'status', status: 401, body: { message: echo, request_id: 'sim-request' } };
    case 'cohere':
      return { kind: 'status', status: 401, body: { id: 'sim-echo', message: echo } };
  }
}

/** Each protocol's in-band stream error after some output, its message holding the echoed credentials. */
function echoingStreamFault(shape: Shape): Record<string, unknown> {
  const message = `Upstream failure while serving ${echoedCredentials}`;
  return shape === 'bedrock' ? { kind: 'stream-error', afterFrames: 3, exceptionType: 'internalServerException', message } : { kind: 'stream-error', afterChunks: 3, message };
}

interface Case {
  name: string;
  shape: Shape;
  simulator: { fail(fault: never, options?: { model?: string }): void; close(): Promise<void>; url: string };
  provider: Record<string, unknown>;
  model: string;
  secrets: string[];
  runtime?: boolean;
}

describe('provider credentials echoed by an upstream error never leave the gateway', () => {
  const cases: Case[] = [];
  let gateway: TestGateway;

  const add = async (name: string, shape: Shape, simulator: Case['simulator'] & { start(): Promise<unknown> }, provider: Record<string, unknown>, model: string, secrets: string[], runtime = false) => {
    await simulator.start();
    cases.push({ name, shape, simulator, provider: { id: name, base_url: simulator.url, ...provider }, model, secrets, runtime });
  };

  before(async () => {
    await add('openai', 'openai', new OpenAISimulator({ apiKey: keys.openai }), { type: 'openai', api_key: keys.openai }, 'gpt-4o-mini', [keys.openai]);
    await add('compatible', 'openai', new OpenAISimulator({ apiKey: keys.compatible, acceptUnknownFields: true }), { type: 'openai-compatible', api_key: keys.compatible }, 'local-model', [keys.compatible]);
    await add('azure', 'openai', new OpenAISimulator({ apiKey: keys.azure, azureApiVersion: '2024-10-21' }), { type: 'azure-openai', api_key: keys.azure }, 'my-deployment', [keys.azure]);
    await add('groq', 'openai', new OpenAISimulator({ apiKey: keys.groq }), { type: 'groq', api_key: keys.groq }, 'llama-3.1-8b-instant', [keys.groq]);
    await add('deepseek', 'openai', new OpenAISimulator({ apiKey: keys.deepseek }), { type: 'deepseek', api_key: keys.deepseek }, 'deepseek-chat', [keys.deepseek]);
    await add('together', 'openai', new OpenAISimulator({ apiKey: keys.together }), { type: 'together', api_key: keys.together }, 'meta-llama/Llama-3-8b-chat-hf', [keys.together]);
    await add('openrouter', 'openai', new OpenAISimulator({ apiKey: keys.openrouter }), { type: 'openrouter', api_key: keys.openrouter }, 'openai/gpt-4o-mini', [keys.openrouter]);
    // Ollama takes no key; a proxy in front of it may, given in `headers`.
    await add('ollama', 'openai', new OpenAISimulator({ apiKey: keys.ollama, acceptUnknownFields: true }), { type: 'ollama', headers: { authorization: `Bearer ${keys.ollama}` } }, 'llama3.1:8b', [keys.ollama]);
    await add('anthropic', 'anthropic', new AnthropicSimulator({ apiKey: keys.anthropic }), { type: 'anthropic', api_key: keys.anthropic }, 'claude-sonnet-4-5', [keys.anthropic]);
    await add('gemini', 'gemini', new GeminiSimulator({ apiKey: keys.gemini }), { type: 'gemini', api_key: keys.gemini }, 'gemini-2.5-flash', [keys.gemini]);
    await add('bedrock', 'bedrock', new BedrockSimulator({ apiKey: keys.bedrock }), { type: 'bedrock', region: 'us-east-1', api_key: keys.bedrock }, 'anthropic.claude-3-haiku-20240307-v1:0', [keys.bedrock]);
    await add(
      'bedrock-sigv4',
      'bedrock',
      new BedrockSimulator({ credentials: sigv4 }),
      { type: 'bedrock', region: 'us-east-1', aws_access_key_id: sigv4.accessKeyId, aws_secret_access_key: sigv4.secretAccessKey, aws_session_token: sigv4.sessionToken },
      'anthropic.claude-3-haiku-20240307-v1:0',
      [sigv4.accessKeyId, sigv4.secretAccessKey, sigv4.sessionToken],
    );
    await add('mistral', 'mistral', new MistralSimulator({ apiKey: keys.mistral }), { type: 'mistral', api_key: keys.mistral }, 'mistral-small-latest', [keys.mistral]);
    await add('cohere', 'cohere', new CohereSimulator({ apiKey: keys.cohere }), { type: 'cohere', api_key: keys.cohere }, 'command-r-08-2024', [keys.cohere]);
    await add('rt-compatible', 'openai', new OpenAISimulator({ apiKey: keys.runtimeCompatible, acceptUnknownFields: true }), { type: 'openai-compatible', api_key: keys.runtimeCompatible }, 'served-model', [keys.runtimeCompatible], true);
    await add('rt-anthropic', 'anthropic', new AnthropicSimulator({ apiKey: keys.runtimeAnthropic }), { type: 'anthropic', api_key: keys.runtimeAnthropic }, 'claude-sonnet-4-5', [keys.runtimeAnthropic], true);

    gateway = await startGateway(
      { server: { master_key: masterKey }, providers: cases.filter((item) => !item.runtime).map((item) => item.provider) },
      { environment: { SWITCHBOARD_ENCRYPTION_KEY: 'an-encryption-key-for-the-leak-tests' } },
    );
    const admin = adminClient(gateway.origin, masterKey);
    for (const item of cases.filter((entry) => entry.runtime)) {
      const created = await admin.post('/admin/providers', item.provider);
      assert.equal(created.status, 201, created.text);
    }
  });

  after(async () => {
    await closeAll(gateway, ...cases.map((item) => item.simulator));
  });

  /** Where each secret of a case shows up after one request: `<place> x<count>` for each place. */
  const places = async (item: Case, answer: RawAnswer, logsBefore: number): Promise<string[]> => {
    const row = await gateway.ledgerRow(answer);
    assert.ok(row, 'the request has a ledger row');
    const { attempts, errorMessage, ...otherFields } = row;
    const texts: Record<string, string> = {
      'client body': answer.text,
      'client headers': JSON.stringify([...answer.headers]),
      'ledger attempts[].message': JSON.stringify(attempts.map((attempt) => attempt.message ?? '')),
      'ledger attempts (other fields)': JSON.stringify(attempts.map(({ message: _message, ...rest }) => rest)),
      'ledger error_message': String(errorMessage ?? ''),
      'ledger row (other fields)': JSON.stringify(otherFields),
      'log lines': gateway.logs.slice(logsBefore).join('\n'),
    };
    const found: string[] = [];
    for (const [place, text] of Object.entries(texts)) {
      const count = item.secrets.reduce((sum, secret) => sum + text.split(secret).length - 1, 0);
      if (count > 0) found.push(`${place} x${count}`);
    }
    return found;
  };

  const send = (item: Case, stream: boolean, ingress: 'openai' | 'anthropic' = 'openai') => {
    const model = `${item.name}/${item.model}`;
    const messages = [{ role: 'user', content: 'tell me a story of seven words please' }];
    return ingress === 'openai'
      ? rawPost(gateway.origin, '/v1/chat/completions', { model, messages, stream }, { key: masterKey })
      : rawPost(gateway.origin, '/v1/messages', { model, messages, stream, max_tokens: 64 }, { key: masterKey, headers: { 'anthropic-version': '2023-06-01' } });
  };

  it('holds for every provider type, runtime ones included: status errors, streamed status errors, in-band stream errors', async () => {
    const leaks: string[] = [];
    const scenarios: Array<{ name: string; stream: boolean; ingress: 'openai' | 'anthropic'; fault: (shape: Shape) => Record<string, unknown>; shapes?: Shape[] }> = [
      { name: 'status error', stream: false, ingress: 'openai', fault: echoingStatusFault },
      { name: 'status error on a stream', stream: true, ingress: 'openai', fault: echoingStatusFault },
      { name: 'in-band stream error', stream: true, ingress: 'openai', fault: echoingStreamFault },
      // Anthropic callers of an Anthropic provider get its events as they came (passthrough).
      { name: 'in-band stream error, passed through', stream: true, ingress: 'anthropic', fault: echoingStreamFault, shapes: ['anthropic'] },
    ];
    for (const scenario of scenarios) {
      for (const item of cases) {
        if (scenario.shapes && !scenario.shapes.includes(item.shape)) continue;
        item.simulator.fail(scenario.fault(item.shape) as never, { model: item.model });
        // Providers that can continue a broken stream (stream resume) are asked to; that call
        // fails too, echoing the credentials again, so the fault still reaches the caller.
        if (scenario.fault === echoingStreamFault && (item.shape === 'anthropic' || item.shape === 'mistral')) item.simulator.fail(echoingStatusFault(item.shape) as never, { model: item.model });
        const logsBefore = gateway.logs.length;
        const answer = await send(item, scenario.stream, scenario.ingress);
        assert.ok(answer.status >= 400 || /error/.test(answer.text), `${item.name} / ${scenario.name}: the fault was not reported: ${answer.status} ${answer.text.slice(0, 200)}`);
        for (const place of await places(item, answer, logsBefore)) leaks.push(`${item.name} / ${scenario.name}: ${place}`);
      }
    }
    assert.deepEqual(leaks, [], `secrets leaked in ${leaks.length} places:\n${leaks.join('\n')}`);
  });

  it('never logs a key a caller put in the query string of a gateway URL', async () => {
    const callerKey = 'sb-caller-query-secret-0123456789';
    const logsBefore = gateway.logs.length;
    const paths = [`/v1/chat/completions?api_key=${callerKey}`, `/v1/chat/completions?stream=false&key=${callerKey}`, `/v1/chat/completions?access_token=${callerKey}`];
    for (const path of paths) {
      const answer = await rawPost(gateway.origin, path, { model: 'no-such-model', messages: [{ role: 'user', content: 'hi' }] }, { key: masterKey });
      assert.equal(answer.status, 404, answer.text);
    }
    const lines = gateway.logs.slice(logsBefore);
    assert.ok(lines.some((line) => line.includes('"path":"/v1/chat/completions?api_key=[redacted]"')), 'the request is logged, its path redacted');
    assert.deepEqual(lines.filter((line) => line.includes(callerKey)), []);
  });

  it('still says what went wrong: the provider and its words, with the secret taken out', async () => {
    const item = cases.find((entry) => entry.name === 'openai')!;
    item.simulator.fail(echoingStatusFault('openai') as never, { model: item.model });
    const answer = await send(item, false);
    const message = (answer.body as { error: { message: string } }).error.message;
    assert.match(message, /openai\/gpt-4o-mini: Provider "openai" answered 401: Invalid credentials \(authorization: Bearer \[redacted\]\)/);
  });
});
