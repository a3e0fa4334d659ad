import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { answer, simulatedTokens } from '../openai/answers.ts';
import { answered, BaseSimulator, bearer, type RequestContent } from '../_shared/base-simulator.ts';
import type { Fault, ReceivedRequest } from '../_shared/types.ts';
import { checkChat, checkEmbed } from './validate.ts';

export type { Fault, ReceivedRequest };

/**
 * A strict Cohere upstream for tests (Chat v2 POST /v2/chat, Embed v2 POST /v2/embed; Cohere's
 * spec is not shipped, the protocol follows https://docs.cohere.com/reference/chat,
 * /reference/chat-stream and /reference/embed): Bearer auth, unknown fields and roles refused,
 * tool messages without their call refused (validate.ts), deterministic answers
 * (../openai/answers.ts), the typed SSE events (`event: <type>` + `data: {...}`, then
 * `data: [DONE]`), and the fault injection of ../_shared/base-simulator.ts. An in-band
 * error is Cohere's: `message-end` with `finish_reason: "ERROR"` and `delta.error`.
 */

/** Cohere counts a preamble it adds: `tokens` exceed `billed_units` by this much on input. */
export const preambleTokens = 20;

export class CohereSimulator extends BaseSimulator {
  constructor(options: { apiKey?: string; chunkDelayMs?: number } = {}) {
    super({ apiKey: options.apiKey ?? 'cohere-simulator-key-0123', chunkDelayMs: options.chunkDelayMs });
  }

  /** The bare origin, as Cohere's SDKs take it. */
  get url(): string {
    return this.origin;
  }

  chatCalls(model?: string): ReceivedRequest[] {
    return this.requests.filter((request) => request.path === '/v2/chat' && (!model || request.body?.model === model));
  }

  protected async handle(request: IncomingMessage, response: ServerResponse, { url, text, body }: RequestContent): Promise<void> {
    const path = url.pathname;
    const operation = path === '/v2/chat' ? 'chat' : path === '/v2/embed' ? 'embed' : undefined;
    const id = 'sim-' + createHash('md5').update(text).digest('hex').slice(0, 12);
    if (!operation) return this.sendJson(response, 404, { id, message: `route ${path} not found` });
    const key = bearer(request);
    if (!key) return this.sendJson(response, 401, { id, message: 'no api key supplied' });
    if (key !== this.apiKey) return this.sendJson(response, 401, { id, message: 'invalid api token' });
    // An empty body does not parse either.
    if (body === undefined) return this.sendJson(response, 400, { id, message: 'invalid request: could not parse the JSON body' });
    const problem = operation === 'chat' ? checkChat(body) : checkEmbed(body);
    if (problem) return this.sendJson(response, 400, { id, message: problem });
    const model = String(body.model);
    const fault = await this.injectFault(model, request, response, (status) => ({ id, message: `Simulated ${status}` }));
    if (fault === answered) return;
    if (operation === 'embed') return this.#embed(response, body, id);
    return body.stream === true ? this.#stream(response, body, model, id, fault) : this.#complete(response, body, model, id);
  }

  #complete(response: ServerResponse, body: Record<string, unknown>, model: string, id: string): void {
    const result = simulate(body, model);
    this.sendJson(response, 200, {
      id,
      message: result.toolCalls.length
        ? { role: 'assistant', tool_plan: result.plan, tool_calls: result.toolCalls.map(wireToolCall) }
        : { role: 'assistant', content: [{ type: 'text', text: result.content ?? '' }] },
      finish_reason: result.finishReason,
      usage: result.usage,
    });
  }

  async #stream(response: ServerResponse, body: Record<string, unknown>, model: string, id: string, fault: Fault | undefined): Promise<void> {
    const result = simulate(body, model);
    const frame = (event: Record<string, unknown>) => `event: ${String(event.type)}\ndata: ${JSON.stringify(event)}\n\n`;
    const frames = [frame({ id, type: 'message-start', delta: { message: { role: 'assistant', content: [], tool_plan: '', tool_calls: [], citations: [] } } })];
    if (result.toolCalls.length) {
      for (const word of result.plan.match(/\S+\s*/g) ?? []) frames.push(frame({ type: 'tool-plan-delta', delta: { message: { tool_plan: word } } }));
      result.toolCalls.forEach((call, index) => {
        frames.push(frame({ type: 'tool-call-start', index, delta: { message: { tool_calls: { id: call.id, type: 'function', function: { name: call.name, arguments: '' } } } } }));
        const half = Math.ceil(call.arguments.length / 2);
        for (const piece of [call.arguments.slice(0, half), call.arguments.slice(half)]) {
          if (piece) frames.push(frame({ type: 'tool-call-delta', index, delta: { message: { tool_calls: { function: { arguments: piece } } } } }));
        }
        frames.push(frame({ type: 'tool-call-end', index }));
      });
    } else {
      frames.push(frame({ type: 'content-start', index: 0, delta: { message: { content: { type: 'text', text: '' } } } }));
      for (const word of result.content?.match(/\S+\s*/g) ?? []) frames.push(frame({ type: 'content-delta', index: 0, delta: { message: { content: { text: word } } } }));
      frames.push(frame({ type: 'content-end', index: 0 }));
    }
    frames.push(frame({ type: 'message-end', delta: { finish_reason: result.finishReason, usage: result.usage } }));
    const errorFrame = (fault: Extract<Fault, { kind: 'stream-error' }>) =>
      frame({ type: 'message-end', delta: { error: fault.message ?? 'Internal server error', finish_reason: 'ERROR', usage: result.usage } }) + 'data: [DONE]\n\n';
    await this.writeStream(response, { frames, fault, errorFrame, end: 'data: [DONE]\n\n' });
  }

  #embed(response: ServerResponse, body: Record<string, unknown>, id: string): void {
    const texts = body.texts as string[];
    const dimensions = Number(body.output_dimension ?? 8);
    this.sendJson(response, 200, {
      id,
      texts,
      embeddings: { float: texts.map((text) => simulatedVector(text, dimensions)) },
      meta: { api_version: { version: '2' }, billed_units: { input_tokens: texts.reduce((sum, text) => sum + simulatedTokens(text), 0) } },
      response_type: 'embeddings_by_type',
    });
  }
}

/** The vector the simulator gives a text (tests recompute it). */
export function simulatedVector(text: string, dimensions: number): number[] {
  return Array.from({ length: dimensions }, (_, position) => ((text.length * 3 + position) % 10) / 10);
}

function simulate(body: Record<string, unknown>, model: string) {
  // answers.ts reads OpenAI's names: tool_choice NONE/REQUIRED are `none`/`required` there.
  const choice = body.tool_choice === 'NONE' ? 'none' : body.tool_choice === 'REQUIRED' ? 'required' : undefined;
  // Cohere's `response_format: {type: "json_object", json_schema}` is OpenAI's json_schema there.
  const format = body.response_format as { type?: string; json_schema?: unknown } | undefined;
  const responseFormat = format?.json_schema !== undefined ? { type: 'json_schema', json_schema: { schema: format.json_schema } } : format;
  const result = answer({ ...body, model, tool_choice: choice, response_format: responseFormat });
  const toolCalls = result.toolCalls.map((call, index) => ({ ...call, id: `${call.name}_sim${index}` }));
  let finishReason = { stop: 'COMPLETE', length: 'MAX_TOKENS', tool_calls: 'TOOL_CALL' }[result.finishReason];
  // A stop sequence in the answer ends it there, without the sequence, as STOP_SEQUENCE
  // (https://docs.cohere.com/reference/chat: `stop_sequences`, and the response's `finish_reason`).
  const stopAt = Math.min(...((body.stop_sequences as string[] | undefined) ?? []).map((stop) => result.content?.indexOf(stop) ?? -1).filter((at) => at >= 0));
  if (result.content !== null && Number.isFinite(stopAt)) {
    result.content = result.content.slice(0, stopAt);
    result.completionTokens = simulatedTokens(result.content);
    finishReason = 'STOP_SEQUENCE';
  }
  return {
    ...result,
    toolCalls,
    finishReason,
    plan: `I will call ${toolCalls.map((call) => call.name).join(' and ')}.`,
    usage: {
      billed_units: { input_tokens: result.promptTokens, output_tokens: result.completionTokens },
      tokens: { input_tokens: result.promptTokens + preambleTokens, output_tokens: result.completionTokens },
    },
  };
}

function wireToolCall(call: { id: string; name: string; arguments: string }) {
  return { id: call.id, type: 'function', function: { name: call.name, arguments: call.arguments } };
}
