import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { answer, simulatedTokens } from '../openai/answers.ts';
import { continueAnswer } from '../_shared/continuation.ts';
import { answered, BaseSimulator, bearer, type RequestContent } from '../_shared/base-simulator.ts';
import type { Fault, ReceivedRequest } from '../_shared/types.ts';
import { declaredFields, validateAgainstSpec, type ValidationDetail } from './validate.ts';

export type { Fault, ReceivedRequest };

/**
 * A strict Mistral upstream for tests, built from ../shared/specs/mistral: Bearer auth; bodies
 * validated against the spec's ChatCompletionRequest / EmbeddingRequest (mistral-schemas.json),
 * unknown fields answered with the API's 422 (`extra_forbidden`); the API's own 400s for tool
 * call ids that are not nine letters or digits and for tool messages without their call;
 * deterministic answers (../openai/answers.ts); streams as `data: {CompletionChunk}` lines shaped
 * like examples/chat-completions-stream-docs.ndjson, ending with `data: [DONE]`; and the fault
 * injection of ../_shared/base-simulator.ts.
 */

const roles: Record<string, string> = { system: 'SystemMessage', user: 'UserMessage', assistant: 'AssistantMessage', tool: 'ToolMessage' };
const toolCallIdPattern = /^[a-zA-Z0-9]{9}$/;
const chatFields = declaredFields('ChatCompletionRequest');
const embeddingFields = declaredFields('EmbeddingRequest');

interface Message {
  role: string;
  prefix?: boolean;
  content?: unknown;
  tool_call_id?: string | null;
  tool_calls?: Array<{ id?: string }> | null;
}

export class MistralSimulator extends BaseSimulator {
  constructor(options: { apiKey?: string; chunkDelayMs?: number } = {}) {
    super({ apiKey: options.apiKey ?? 'mistral-simulator-key-0123', chunkDelayMs: options.chunkDelayMs });
  }

  get url(): string {
    return `${this.origin}/v1`;
  }

  /** Chat requests received (for one model, if given). */
  chatCalls(model?: string): ReceivedRequest[] {
    return this.requests.filter((request) => request.path === '/v1/chat/completions' && (!model || request.body?.model === model));
  }

  protected async handle(request: IncomingMessage, response: ServerResponse, { url, body }: RequestContent): Promise<void> {
    const path = url.pathname;
    const operation = path === '/v1/chat/completions' ? 'chat' : path === '/v1/embeddings' ? 'embeddings' : path === '/v1/models' ? 'models' : undefined;
    if (!operation) return this.sendJson(response, 404, { detail: 'Not Found' });
    const key = bearer(request);
    if (key !== this.apiKey) return this.sendJson(response, 401, { message: 'Unauthorized', request_id: 'sim-request' });
    if (operation === 'models') return this.sendJson(response, 200, { object: 'list', data: [] });
    // An empty body is a JSON decode error too.
    if (body === undefined) return this.sendJson(response, 422, { detail: [{ type: 'json_invalid', loc: ['body', 0], msg: 'JSON decode error' }] });
    const invalid = operation === 'chat' ? validateChat(body) : validateBody('EmbeddingRequest', embeddingFields, body);
    if (invalid) return this.sendJson(response, 422, { detail: [invalid] });
    const model = String(body.model);
    const order = operation === 'chat' ? checkLastRole(body.messages as Message[]) : undefined;
    if (order) return this.sendJson(response, 400, order);
    const fault = await this.injectFault(model, request, response, (status) => mistralError(`Simulated ${status}`, 'internal_server_error', '1000'));
    if (fault === answered) return;
    if (operation === 'embeddings') return this.#embeddings(response, body, model);
    const rejected = checkToolCalls(body.messages as Message[]);
    if (rejected) return this.sendJson(response, 400, rejected);
    return body.stream === true ? this.#stream(response, body, model, fault) : this.#complete(response, body, model);
  }

  #complete(response: ServerResponse, body: Record<string, unknown>, model: string): void {
    const result = simulate(body, model);
    this.sendJson(response, 200, {
      id: completionId(body),
      object: 'chat.completion',
      model,
      usage: { prompt_tokens: result.promptTokens, completion_tokens: result.completionTokens, total_tokens: result.promptTokens + result.completionTokens },
      created: Math.floor(Date.now() / 1000),
      choices: [
        {
          index: 0,
          message: { content: result.content ?? '', tool_calls: result.toolCalls.length ? result.toolCalls.map(wireToolCall) : null, prefix: false, role: 'assistant' },
          finish_reason: result.finishReason,
        },
      ],
    });
  }

  async #stream(response: ServerResponse, body: Record<string, unknown>, model: string, fault: Fault | undefined): Promise<void> {
    const result = simulate(body, model);
    const base = { id: completionId(body), model };
    const created = Math.floor(Date.now() / 1000);
    const chunk = (delta: Record<string, unknown>, finishReason: string | null, usage: unknown = null) =>
      `data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta, finish_reason: finishReason }], object: 'chat.completion.chunk', created, usage })}\n\n`;
    const usage = { prompt_tokens: result.promptTokens, completion_tokens: result.completionTokens, total_tokens: result.promptTokens + result.completionTokens };
    // As in examples/chat-completions-stream-docs.ndjson: a role chunk, content chunks, and the
    // finish_reason with usage on the last chunk.
    const frames = [chunk({ role: 'assistant', content: '' }, null)];
    if (result.toolCalls.length) {
      // Every call whole in one delta, each with index 0 (ToolCall.index's default).
      frames.push(chunk({ tool_calls: result.toolCalls.map((call) => ({ ...wireToolCall(call), index: 0 })) }, null));
      frames.push(chunk({ content: '' }, 'tool_calls', usage));
    } else {
      const words = result.content?.match(/\S+\s*|\s+/g) ?? [''];
      words.forEach((word, index) => frames.push(chunk({ content: word }, index === words.length - 1 ? result.finishReason : null, index === words.length - 1 ? usage : null)));
    }
    const errorFrame = (fault: Extract<Fault, { kind: 'stream-error' }>) => `data: ${JSON.stringify(mistralError(fault.message ?? 'Internal server error', 'internal_server_error', '1000'))}\n\n`;
    await this.writeStream(response, { frames, fault, errorFrame, end: 'data: [DONE]\n\n' });
  }

  #embeddings(response: ServerResponse, body: Record<string, unknown>, model: string): void {
    const inputs = typeof body.input === 'string' ? [body.input] : (body.input as string[]);
    const dimensions = Number(body.output_dimension ?? 8);
    const tokens = inputs.reduce((sum, input) => sum + simulatedTokens(input), 0);
    this.sendJson(response, 200, {
      id: 'embd-sim',
      object: 'list',
      data: inputs.map((input, index) => ({ object: 'embedding', embedding: simulatedVector(input, dimensions), index })),
      model,
      usage: { prompt_tokens: tokens, completion_tokens: 0, total_tokens: tokens, prompt_audio_seconds: null },
    });
  }
}

/** The vector the simulator gives an input (tests recompute it). */
export function simulatedVector(input: string, dimensions: number): number[] {
  return Array.from({ length: dimensions }, (_, position) => ((input.length + position) % 10) / 10);
}

/** A deterministic Mistral-style tool call id (nine letters or digits). */
export function simulatedToolCallId(name: string, index: number): string {
  return createHash('sha256').update(`${name}#${index}`).digest('base64').replace(/[^a-zA-Z0-9]/g, '').slice(0, 9);
}

function simulate(body: Record<string, unknown>, model: string) {
  const messages = body.messages as Message[];
  const last = messages.at(-1);
  // A final assistant message with `prefix: true` is the start of the answer: the model goes on
  // from it, and the answer begins with it (Mistral's prefix guide cuts it off the answer's
  // content before use).
  const prefix = last?.role === 'assistant' && last.prefix === true ? String(last.content ?? '') : undefined;
  // answers.ts reads OpenAI's names; `any` means "must call a tool" like `required`.
  const result = answer({ ...body, model, messages: prefix === undefined ? messages : messages.slice(0, -1), tool_choice: body.tool_choice === 'any' ? 'required' : body.tool_choice });
  if (prefix !== undefined && result.content !== null) {
    result.content = prefix + continueAnswer(result.content, prefix, model);
    result.completionTokens = simulatedTokens(result.content);
  }
  return { ...result, toolCalls: result.toolCalls.map((call, index) => ({ ...call, id: simulatedToolCallId(call.name, index) })) };
}

function wireToolCall(call: { id: string; name: string; arguments: string }) {
  return { id: call.id, function: { name: call.name, arguments: call.arguments } };
}

function completionId(body: Record<string, unknown>): string {
  return createHash('md5').update(JSON.stringify(body.messages)).digest('hex');
}

function mistralError(message: string, type: string, code: string | null) {
  return { object: 'error', message, type, param: null, code };
}

/** Top-level fields first (`extra_forbidden`), then each message against its role's schema, then the rest. */
function validateChat(body: Record<string, unknown>): ValidationDetail | undefined {
  const extra = Object.keys(body).find((field) => !chatFields.has(field));
  if (extra) return { type: 'extra_forbidden', loc: ['body', extra], msg: 'Extra inputs are not permitted', input: body[extra] };
  if (Array.isArray(body.messages)) {
    for (const [index, message] of (body.messages as Array<Record<string, unknown>>).entries()) {
      const schema = roles[String(message?.role)];
      if (!schema) {
        return { type: 'union_tag_invalid', loc: ['body', 'messages', index], msg: `Input tag '${String(message?.role)}' found using 'role' does not match any of the expected tags: 'system', 'user', 'assistant', 'tool'` };
      }
      const invalid = validateAgainstSpec(schema, message, ['body', 'messages', index, String(message.role)]);
      if (invalid) return invalid;
    }
  }
  return validateAgainstSpec('ChatCompletionRequest', body, ['body']);
}

function validateBody(schema: string, fields: Set<string>, body: Record<string, unknown>): ValidationDetail | undefined {
  const extra = Object.keys(body).find((field) => !fields.has(field));
  if (extra) return { type: 'extra_forbidden', loc: ['body', extra], msg: 'Extra inputs are not permitted', input: body[extra] };
  return validateAgainstSpec(schema, body, ['body']);
}

/** The API serves a conversation that ends with the user, a tool, or an assistant prefix (`prefix: true`). */
function checkLastRole(messages: Message[]) {
  const last = messages.at(-1);
  if (last?.role === 'assistant' && last.prefix !== true) {
    return mistralError('Expected last role User or Tool (or Assistant with prefix True) for serving but got assistant', 'invalid_request_message_order', '3230');
  }
  return undefined;
}

/**
 * The API's tool-call rules (400, not in the spec): ids of nine letters or digits (code 3280),
 * and every tool message answering an earlier, unanswered call before the next turn (code 3230).
 */
function checkToolCalls(messages: Message[]) {
  const open = new Set<string>();
  for (const message of messages) {
    for (const id of [...(message.tool_calls ?? []).map((call) => call.id ?? ''), ...(message.role === 'tool' ? [message.tool_call_id ?? ''] : [])]) {
      if (!toolCallIdPattern.test(id)) return mistralError(`Tool call id was ${id} but must be a-z, A-Z, 0-9, with a length of 9.`, 'invalid_function_call', '3280');
    }
    if (message.role === 'tool') {
      if (!open.delete(message.tool_call_id ?? '')) return mistralError('Unexpected tool call id ' + message.tool_call_id + ' in tool results', 'invalid_request_message_order', '3230');
      continue;
    }
    if (open.size > 0) return mistralError('Not the same number of function calls and responses', 'invalid_request_message_order', '3230');
    for (const call of message.tool_calls ?? []) open.add(call.id ?? '');
  }
  return undefined;
}
