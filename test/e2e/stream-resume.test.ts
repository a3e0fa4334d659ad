import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { AnthropicSimulator } from '../simulators/anthropic/server.ts';
import { MistralSimulator } from '../simulators/mistral/server.ts';
import { OpenAISimulator } from '../simulators/openai/server.ts';
import { anthropicClient } from '../helpers/anthropic-client.ts';
import { closeAll, startGateway, type TestGateway } from '../helpers/gateway.ts';
import { collectStream, openaiClient, textBeforeStreamError } from '../helpers/openai-client.ts';

const masterKey = 'sb-resume-master';
const question = 'tell me a long story about seven small robots please';

/**
 * Streams that break or stall after the answer started (issue 14): the gateway continues them on
 * a candidate that can continue a partial answer, and the caller sees one stream with every
 * character once. Both providers of a pair serve the same upstream model name, so the simulators'
 * answers are the same text and a resumed answer must equal the unbroken one exactly.
 */
describe('stream resume (real gateway, official SDKs, strict simulators)', () => {
  let claudeA: AnthropicSimulator;
  let claudeB: AnthropicSimulator;
  let openai: OpenAISimulator;
  let vllm: OpenAISimulator;
  let mistral: MistralSimulator;
  let gateway: TestGateway;
  let client: OpenAI;
  let anthropic: Anthropic;

  before(async () => {
    claudeA = await new AnthropicSimulator().start();
    claudeB = await new AnthropicSimulator().start();
    openai = await new OpenAISimulator({ models: ['gpt-shared'] }).start();
    vllm = await new OpenAISimulator({ apiKey: 'vllm-key', models: ['gpt-shared'], continueFinalMessage: true }).start();
    mistral = await new MistralSimulator().start();
    gateway = await startGateway({
      server: { master_key: masterKey },
      providers: [
        { id: 'claude-a', type: 'anthropic', base_url: claudeA.url, api_key: claudeA.apiKey },
        { id: 'claude-b', type: 'anthropic', base_url: claudeB.url, api_key: claudeB.apiKey },
        { id: 'oai', type: 'openai', base_url: openai.url, api_key: openai.apiKey },
        { id: 'vllm', type: 'openai-compatible', base_url: vllm.url, api_key: 'vllm-key', continue_final_message: true },
        { id: 'mistral', type: 'mistral', base_url: mistral.url, api_key: mistral.apiKey },
      ],
      models: [
        { id: 'first', provider: 'claude-a', upstream: 'claude-shared' },
        { id: 'second', provider: 'claude-b', upstream: 'claude-shared' },
        { id: 'cut-alone', provider: 'claude-a', upstream: 'claude-alone' },
        { id: 'gpt', provider: 'oai', upstream: 'gpt-shared' },
        { id: 'gpt-vllm', provider: 'vllm', upstream: 'gpt-shared' },
        { id: 'small', provider: 'mistral', upstream: 'mistral-shared' },
      ],
      routes: [
        // stall_timeout_ms leaves room for a loaded machine: a cut (socket closed 50 ms after the
        // last frame) must be seen as a cut, not outrun by the stall timer when the loop lags. So
        // does ttft_timeout_ms: the file's first stream, on a cold gateway in a CI run loaded by
        // other jobs (Node 24), once took more than 800 ms to its first token and failed over.
        { id: 'claude', strategy: 'ordered', candidates: ['first', 'second'], stall_timeout_ms: 1000, ttft_timeout_ms: 1500 },
        { id: 'claude-off', strategy: 'ordered', candidates: ['first', 'second'], resume_streams: false },
        { id: 'openai-only', strategy: 'ordered', candidates: ['gpt'] },
        { id: 'openai-then-vllm', strategy: 'ordered', candidates: ['gpt', 'gpt-vllm'] },
        { id: 'openai-stall', strategy: 'ordered', candidates: ['gpt', 'gpt-vllm'], stall_timeout_ms: 1000 },
      ],
    });
    client = openaiClient(gateway, masterKey);
    anthropic = anthropicClient(gateway, masterKey);
  });

  after(() => closeAll(gateway, claudeA, claudeB, openai, vllm, mistral));

  const streamed = async (model: string) => {
    const { data, response } = await client.chat.completions.create({ model, stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: question }] }).withResponse();
    return { answer: await collectStream(data), response };
  };
  const attemptsOf = async (response: { headers: Headers }) => {
    const row = (await gateway.ledgerRow(response))!;
    return { row, attempts: row.attempts.map((attempt) => [attempt.provider, attempt.outcome, attempt.errorCode ?? null, attempt.resumedFrom ?? null]) };
  };

  it('continues a stream cut mid-answer on the next candidate: the same text as an unbroken answer, one finish, usage of both calls', async () => {
    // Anthropic events 0-2 are message_start, content_block_start and ping: the cut comes after three words.
    claudeA.fail({ kind: 'cut-stream', afterChunks: 6 }, { model: 'claude-shared' });
    const before = claudeB.messageCalls().length;
    const { answer, response } = await streamed('claude');
    assert.equal(answer.text, `Simulated reply from claude-shared: ${question}`);
    assert.equal(answer.finish, 'stop');
    // The continuation went to the same model first (a cut is not a stall); claude-a served it again.
    const { row, attempts } = await attemptsOf(response);
    assert.deepEqual(attempts, [
      ['claude-a', 'error', 'SB_ERR_STREAM_INTERRUPTED', null],
      ['claude-a', 'ok', null, 0],
    ]);
    assert.equal(claudeB.messageCalls().length, before);
    assert.equal(row.status, 'ok');
    // The continuation was a prefill of the three words, the trailing space trimmed as the API requires.
    const continuation = claudeA.messageCalls('claude-shared').at(-1)!.body!;
    assert.deepEqual((continuation.messages as unknown[]).at(-1), { role: 'assistant', content: [{ type: 'text', text: 'Simulated reply from' }] });
    // Usage: the broken call (counted) and the continuation (reported by the simulator: its prompt
    // with the prefill, four characters a token), both paid for.
    const continuationInput = Math.ceil(`\n${question}\nSimulated reply from`.length / 4);
    assert.ok(answer.usage && answer.usage.prompt_tokens > continuationInput, JSON.stringify(answer.usage));
    assert.equal(row.inputTokens, answer.usage.prompt_tokens);
    assert.equal(row.tokensEstimated, true);
  });

  it('continues a stalled stream on the next candidate after stall_timeout_ms, never on the model that stalled', async () => {
    claudeA.fail({ kind: 'stall', afterChunks: 7 }, { model: 'claude-shared' });
    const started = performance.now();
    const { answer, response } = await streamed('claude');
    assert.equal(answer.text, `Simulated reply from claude-shared: ${question}`);
    assert.ok(performance.now() - started < 4000, 'the stall was waited out much longer than stall_timeout_ms');
    const { attempts, row } = await attemptsOf(response);
    assert.deepEqual(attempts, [
      ['claude-a', 'error', 'SB_ERR_UPSTREAM_TIMEOUT', null],
      ['claude-b', 'ok', null, 0],
    ]);
    assert.match(row.attempts[0]!.message ?? '', /stalled: nothing for 1000 ms mid-stream/);
  });

  it('does not take a provider that sends keep-alives for a stalled one: Anthropic pings through a pause longer than stall_timeout_ms', async () => {
    // After the first words, 2.5 s of nothing but `ping` events every 200 ms (stall_timeout_ms 1000).
    claudeA.fail({ kind: 'stall', afterChunks: 7, ms: 2500, keepAliveEveryMs: 200 }, { model: 'claude-shared' });
    const before = claudeB.messageCalls().length;
    const started = performance.now();
    const { answer, response } = await streamed('claude');
    assert.equal(answer.text, `Simulated reply from claude-shared: ${question}`);
    assert.equal(answer.finish, 'stop');
    assert.ok(performance.now() - started >= 2400, 'the answer came before the pause ended');
    const { attempts, row } = await attemptsOf(response);
    assert.deepEqual(attempts, [['claude-a', 'ok', null, null]]);
    assert.equal(row.status, 'ok');
    assert.equal(claudeB.messageCalls().length, before, 'no second call was made');
  });

  it('does not take SSE comment keep-alives for a stall either (an OpenAI-compatible provider), and still counts a silence from the last bytes', async () => {
    openai.fail({ kind: 'stall', afterChunks: 3, ms: 2500, keepAliveEveryMs: 200 }, { model: 'gpt-shared' });
    const kept = await streamed('openai-stall');
    assert.equal(kept.answer.finish, 'stop');
    assert.deepEqual((await attemptsOf(kept.response)).attempts, [['oai', 'ok', null, null]]);
    // The same pause without keep-alives is a stall (vLLM continues it).
    openai.fail({ kind: 'stall', afterChunks: 3, ms: 2500 }, { model: 'gpt-shared' });
    const stalled = await streamed('openai-stall');
    assert.equal(stalled.answer.text, kept.answer.text);
    assert.deepEqual((await attemptsOf(stalled.response)).attempts, [
      ['oai', 'error', 'SB_ERR_UPSTREAM_TIMEOUT', null],
      ['vllm', 'ok', null, 0],
    ]);
  });

  it('fails over invisibly when the first token does not come within ttft_timeout_ms', async () => {
    // Event 3 is the first text delta: everything before it arrives, then nothing for 5 s.
    claudeA.fail({ kind: 'stall', afterChunks: 3, ms: 5000 }, { model: 'claude-shared' });
    const started = performance.now();
    const { answer, response } = await streamed('claude');
    assert.equal(answer.text, `Simulated reply from claude-shared: ${question}`);
    assert.ok(performance.now() - started < 3500);
    const { attempts, row } = await attemptsOf(response);
    assert.deepEqual(attempts, [
      ['claude-a', 'error', 'SB_ERR_UPSTREAM_TIMEOUT', null],
      ['claude-b', 'ok', null, null],
    ]);
    assert.match(row.attempts[0]!.message ?? '', /no first token within 1500 ms/);
  });

  it('keeps an Anthropic caller on the verbatim events, then the typed ones: one message, one text block, nothing repeated', async () => {
    claudeA.fail({ kind: 'cut-stream', afterChunks: 5 }, { model: 'claude-shared' });
    const stream = anthropic.messages.stream({ model: 'claude', max_tokens: 500, messages: [{ role: 'user', content: question }] });
    const message = await stream.finalMessage();
    assert.deepEqual(message.content.map((block) => block.type), ['text']);
    assert.equal((message.content[0] as Anthropic.TextBlock).text, `Simulated reply from claude-shared: ${question}`);
    assert.equal(message.stop_reason, 'end_turn');
  });

  it('skips a malformed event with a ledger warning instead of ending the answer there', async () => {
    claudeA.fail({ kind: 'invalid-event', afterChunks: 5 }, { model: 'claude-shared' });
    const { answer, response } = await streamed('claude');
    assert.equal(answer.text, `Simulated reply from claude-shared: ${question}`);
    const { attempts, row } = await attemptsOf(response);
    assert.deepEqual(attempts, [['claude-a', 'ok', null, null]]);
    assert.ok(row.warnings.some((warning) => /not valid JSON; it was skipped/.test(warning.message)), JSON.stringify(row.warnings));

    openai.fail({ kind: 'invalid-event', afterChunks: 3 }, { model: 'gpt-shared' });
    const relayed = await streamed('openai-only');
    assert.equal(relayed.answer.text, `Simulated reply from gpt-shared: ${question}`, 'the OpenAI passthrough skipped it too');
  });

  it('ends with an error event, never a normal finish, when no candidate can continue (OpenAI has no continuation)', async () => {
    openai.fail({ kind: 'cut-stream', afterChunks: 4 }, { model: 'gpt-shared' });
    const calls = openai.chatCalls('gpt-shared').length;
    const stream = await client.chat.completions.create({ model: 'openai-only', stream: true, messages: [{ role: 'user', content: question }] });
    const text = await textBeforeStreamError(stream, OpenAI.APIError);
    assert.equal(text, 'Simulated reply from ');
    assert.equal(openai.chatCalls('gpt-shared').length, calls + 1, 'OpenAI was asked again (it would answer afresh and repeat the text)');
    const row = (await gateway.ledger()).find((candidate) => candidate.route === 'openai-only' && candidate.status === 'error')!;
    assert.equal(row.errorCode, 'SB_ERR_STREAM_INTERRUPTED');
    assert.deepEqual(row.attempts.map((attempt) => [attempt.outcome, attempt.errorCode]), [['error', 'SB_ERR_STREAM_INTERRUPTED']]);
  });

  it('continues an OpenAI stream on a vLLM server with continue_final_message, as typed chunks after the verbatim ones', async () => {
    openai.fail({ kind: 'cut-stream', afterChunks: 4 }, { model: 'gpt-shared' });
    const { answer, response } = await streamed('openai-then-vllm');
    assert.equal(answer.text, `Simulated reply from gpt-shared: ${question}`);
    assert.equal(answer.finish, 'stop');
    const { attempts } = await attemptsOf(response);
    assert.deepEqual(attempts, [
      ['oai', 'error', 'SB_ERR_STREAM_INTERRUPTED', null],
      ['vllm', 'ok', null, 0],
    ]);
    const body = vllm.chatCalls('gpt-shared').at(-1)!.body!;
    assert.equal(body.continue_final_message, true);
    assert.equal(body.add_generation_prompt, false);
    assert.deepEqual((body.messages as unknown[]).at(-1), { role: 'assistant', content: 'Simulated reply from ' });
  });

  it('continues a Mistral stream with prefix: true, dropping the prefix Mistral repeats', async () => {
    mistral.fail({ kind: 'cut-stream', afterChunks: 4 }, { model: 'mistral-shared' });
    const { answer, response } = await streamed('small');
    assert.equal(answer.text, `Simulated reply from mistral-shared: ${question}`);
    const { attempts } = await attemptsOf(response);
    assert.deepEqual(attempts, [
      ['mistral', 'error', 'SB_ERR_STREAM_INTERRUPTED', null],
      ['mistral', 'ok', null, 0],
    ]);
    assert.deepEqual((mistral.chatCalls('mistral-shared').at(-1)!.body!.messages as unknown[]).at(-1), { role: 'assistant', content: 'Simulated reply from ', prefix: true });
  });

  it('with resume_streams: false, a cut stream ends with an error event as before', async () => {
    claudeA.fail({ kind: 'cut-stream', afterChunks: 6 }, { model: 'claude-shared' });
    const stream = await client.chat.completions.create({ model: 'claude-off', stream: true, messages: [{ role: 'user', content: question }] });
    const text = await textBeforeStreamError(stream, OpenAI.APIError);
    assert.equal(text, 'Simulated reply from ');
  });
});
