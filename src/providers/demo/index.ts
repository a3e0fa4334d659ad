import { createHash, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ChatRequest } from '../../core/chat-request.ts';
import type { ChatResult } from '../../core/chat-result.ts';
import type { ProviderAdapter, ProviderDefinition } from '../../core/provider-adapter.ts';
import type { StreamEvent } from '../../core/stream-event.ts';
import { toAbortSignal, type AbortSignalLike } from '../../core/abort.ts';
import { embeddingTexts } from '../_shared/embedding-request.ts';
import { float32Base64 } from '../_shared/float32-base64.ts';
import { simulatedJson } from './simulated-json.ts';

/**
 * The demo provider, used when no provider key is configured: it answers in-process, and every
 * answer says it is simulated, so a newcomer can try the API, routing and streaming with no keys.
 */
export const demoProvider: ProviderDefinition = {
  create: (settings): ProviderAdapter => ({
    id: settings.id,
    type: settings.type,
    async chat(request, call) {
      return answer(request, call.model);
    },
    async streamChat(request, call) {
      const result = answer(request, call.model);
      return streamResult(result, call.signal);
    },
    async embed(request, call) {
      // Floats, base64-encoded when asked (the openai SDK's default, which it decodes as base64).
      const vectors = embeddingTexts(request, 'The demo provider').map((text) => pseudoEmbedding(text, request.dimensions ?? 256));
      return {
        model: call.model,
        embeddings: request.encodingFormat === 'base64' ? vectors.map(float32Base64) : vectors,
        usage: { inputTokens: request.input.reduce((sum, text) => sum + approximateTokens(text), 0), outputTokens: 0 },
      };
    },
  }),
  requiresApiKey: false,
  requiresBaseUrl: false,
  onPremDefault: true,
};

function answer(request: ChatRequest, model: string): ChatResult {
  const lastUser = [...request.messages].reverse().find((message) => message.role === 'user');
  const said = lastUser?.content.flatMap((part) => (part.type === 'text' ? [part.text] : [])).join(' ') ?? '';
  const inputTokens = request.messages.reduce(
    (sum, message) => sum + message.content.reduce((inner, part) => inner + ('text' in part ? approximateTokens(part.text) : 85), 0),
    0,
  );
  const choice = request.toolChoice;
  const forcedTool =
    request.tools?.length && choice !== undefined && choice !== 'auto' && choice !== 'none'
      ? typeof choice === 'object'
        ? request.tools.find((tool) => tool.name === choice.name)
        : request.tools[0]
      : undefined;
  const base = { id: `chatcmpl-demo-${randomUUID()}`, model, created: Math.floor(Date.now() / 1000), warnings: [] };
  if (forcedTool) {
    return {
      ...base,
      content: [{ type: 'tool-call', id: `call_demo_${randomUUID().slice(0, 8)}`, name: forcedTool.name, arguments: JSON.stringify(simulatedJson(forcedTool.parameters)) }],
      finishReason: 'tool-calls',
      rawFinishReason: 'tool_calls',
      usage: { inputTokens, outputTokens: 5 },
    };
  }
  const notice =
    `This is a simulated answer from Switchboard's demo provider (model ${model}): no provider key is configured. ` +
    `Set OPENAI_API_KEY, ANTHROPIC_API_KEY or another provider key, or write a switchboard.yaml, to reach a real model. ` +
    `You said: "${said.slice(0, 200)}"`;
  // JSON mode answers JSON, as the models list it (`json_object`, `json_schema`): the notice, or a
  // value of the schema's shape whose strings say "simulated" (simulated-json.ts).
  const format = request.responseFormat;
  const text =
    format?.type === 'json_schema' ? JSON.stringify(simulatedJson(format.schema)) : format?.type === 'json_object' ? JSON.stringify({ simulated: notice }) : notice;
  return {
    ...base,
    content: [{ type: 'text', text }],
    finishReason: 'stop',
    rawFinishReason: 'stop',
    usage: { inputTokens, outputTokens: approximateTokens(text) },
  };
}

function streamResult(result: ChatResult, signal: AbortSignalLike): ReadableStream<StreamEvent> {
  async function* events(): AsyncGenerator<StreamEvent> {
    // One real signal for the whole stream: each would stay on the request's signal until it ends.
    const abortSignal = toAbortSignal(signal);
    yield { type: 'stream-start', id: result.id, model: result.model, created: result.created, warnings: [] };
    for (const part of result.content) {
      if (part.type === 'text') {
        yield { type: 'text-start', id: 'text-0' };
        for (const word of part.text.match(/\S+\s*/g) ?? []) {
          await sleep(5, undefined, { signal: abortSignal });
          yield { type: 'text-delta', id: 'text-0', delta: word };
        }
        yield { type: 'text-end', id: 'text-0' };
      } else if (part.type === 'tool-call') {
        yield { type: 'tool-input-start', id: part.id, toolName: part.name };
        yield { type: 'tool-input-delta', id: part.id, delta: part.arguments };
        yield { type: 'tool-input-end', id: part.id };
      }
    }
    yield { type: 'finish', finishReason: result.finishReason, rawFinishReason: result.rawFinishReason, usage: result.usage };
  }
  const iterator = events();
  return new ReadableStream<StreamEvent>({
    async pull(controller) {
      try {
        const next = await iterator.next();
        if (next.done) controller.close();
        else controller.enqueue(next.value);
      } catch {
        controller.close();
      }
    },
    async cancel() {
      await iterator.return(undefined);
    },
  });
}

/** About four characters per token: good enough for a simulation. */
function approximateTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

/** A deterministic unit vector derived from the text, so equal texts embed equally. */
function pseudoEmbedding(text: string, dimensions: number): number[] {
  const vector: number[] = [];
  let seed = createHash('sha256').update(text).digest();
  while (vector.length < dimensions) {
    for (let index = 0; index + 1 < seed.length && vector.length < dimensions; index += 2) {
      vector.push((seed.readUInt16BE(index) / 65535) * 2 - 1);
    }
    seed = createHash('sha256').update(seed).digest();
  }
  const norm = Math.hypot(...vector) || 1;
  return vector.map((value) => value / norm);
}
