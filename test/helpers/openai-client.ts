import assert from 'node:assert/strict';
import OpenAI from 'openai';
import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import type { CompletionUsage } from 'openai/resources/completions';
import type { TestGateway } from './gateway.ts';

/**
 * The official openai SDK pointed at a gateway. Retries are off so that every call is exactly one
 * request: the tests count provider calls and inject one failure at a time.
 */
export function openaiClient(gateway: { baseURL: string }, apiKey: string): OpenAI {
  return new OpenAI({ baseURL: gateway.baseURL, apiKey, maxRetries: 0 });
}

/** One tool call put together from its streamed deltas. */
export interface StreamedToolCall {
  id: string;
  name: string;
  args: string;
}

/** What a streamed chat answer added up to once the SDK had read it to the end. */
export interface StreamedAnswer {
  text: string;
  /** The gateway's reasoning_content extension, joined. */
  reasoning: string;
  /** The last finish_reason sent. */
  finish: ChatCompletionChunk.Choice['finish_reason'] | undefined;
  /** The usage chunk, when there was one. */
  usage: CompletionUsage | undefined;
  /** Tool calls in the order their first delta arrived. */
  toolCalls: StreamedToolCall[];
}

/** Reads a chat stream to its end and puts the answer back together, as a client would. */
export async function collectStream(stream: AsyncIterable<ChatCompletionChunk>): Promise<StreamedAnswer> {
  const answer: StreamedAnswer = { text: '', reasoning: '', finish: undefined, usage: undefined, toolCalls: [] };
  const calls = new Map<number, StreamedToolCall>();
  for await (const chunk of stream) {
    const choice = chunk.choices[0];
    answer.text += choice?.delta.content ?? '';
    answer.reasoning += (choice?.delta as { reasoning_content?: string } | undefined)?.reasoning_content ?? '';
    answer.finish = choice?.finish_reason ?? answer.finish;
    if (chunk.usage) answer.usage = chunk.usage;
    for (const delta of choice?.delta.tool_calls ?? []) {
      // The id and name come once, in a call's first delta; the arguments arrive in pieces after it.
      const call = calls.get(delta.index) ?? { id: '', name: '', args: '' };
      calls.set(delta.index, { id: delta.id ?? call.id, name: delta.function?.name ?? call.name, args: call.args + (delta.function?.arguments ?? '') });
    }
  }
  answer.toolCalls = [...calls.values()];
  return answer;
}

/** The tool call of a stream that must carry exactly one: a stray second call is a failure, not ignored. */
export function onlyToolCall(answer: StreamedAnswer): StreamedToolCall {
  assert.equal(answer.toolCalls.length, 1, `expected one streamed tool call, got ${JSON.stringify(answer.toolCalls)}`);
  return answer.toolCalls[0]!;
}

/**
 * Reads a stream that must fail part-way, asserts that the SDK raises the failure (`expected` as
 * for assert.rejects) rather than ending quietly, and returns the text that arrived before it.
 */
export async function textBeforeStreamError(stream: AsyncIterable<ChatCompletionChunk>, expected: assert.AssertPredicate): Promise<string> {
  let text = '';
  await assert.rejects(async () => {
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
  }, expected);
  return text;
}

/**
 * Streams a chat from `model` after the caller has set its provider up to cut the stream part-way,
 * and asserts what must follow: the SDK raises an error after the text sent before the cut (never a
 * quiet, truncated end), and the ledger records the stream as interrupted.
 */
export async function assertCutStreamReported(client: OpenAI, gateway: TestGateway, model: string): Promise<void> {
  const stream = await client.chat.completions.create({ model, stream: true, messages: [{ role: 'user', content: 'tell me a long story please' }] });
  const text = await textBeforeStreamError(stream, OpenAI.APIError);
  assert.ok(text.length > 0, 'the part before the cut was delivered');
  const row = (await gateway.ledger()).find((candidate) => candidate.stream && candidate.errorCode === 'SB_ERR_STREAM_INTERRUPTED');
  assert.ok(row, 'the ledger records the interrupted stream');
  assert.equal(row.status, 'error');
}

/** The body of an OpenAI-style error, as the tests read it. */
export interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

/** Exactly OpenAI's error body: `{error: {message, type, param, code}}`, message and type strings. */
export function assertOpenAIError(body: unknown): asserts body is OpenAIErrorBody {
  const error = (body as { error?: Record<string, unknown> }).error;
  assert.ok(error, `not an OpenAI error body: ${JSON.stringify(body)}`);
  assert.deepEqual(Object.keys(error).sort(), ['code', 'message', 'param', 'type']);
  assert.equal(typeof error.message, 'string');
  assert.equal(typeof error.type, 'string');
}
