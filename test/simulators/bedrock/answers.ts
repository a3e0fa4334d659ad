/**
 * How the Bedrock simulator answers a (valid) Converse body: deterministic and derived from the
 * request, so tests can assert exact content, tool calls and token counts.
 */

import { jsonAnswer } from '../_shared/json-answer.ts';

type Json = Record<string, unknown>;

/** An answer as Converse content blocks, its stop reason and usage. */
export interface SimulatedAnswer {
  content: Json[];
  stopReason: 'end_turn' | 'tool_use' | 'max_tokens' | 'stop_sequence';
  inputTokens: number;
  outputTokens: number;
  /** The prompt's cache reads and writes, when it had cache points (prompt-cache.ts). */
  cache?: { uncached: number; read: number; write: number; details: Array<{ inputTokens: number; ttl: '5m' | '1h' }> };
}

/** The answer's TokenUsage (API_runtime_TokenUsage.html): `inputTokens` leaves out the cache reads and writes reported beside it. */
export function tokenUsage(result: SimulatedAnswer): Json {
  const { cache } = result;
  if (!cache) return { inputTokens: result.inputTokens, outputTokens: result.outputTokens, totalTokens: result.inputTokens + result.outputTokens };
  return {
    inputTokens: cache.uncached,
    outputTokens: result.outputTokens,
    totalTokens: cache.uncached + cache.read + cache.write + result.outputTokens,
    cacheReadInputTokens: cache.read,
    cacheWriteInputTokens: cache.write,
    cacheDetails: cache.details,
  };
}

/** Four characters per token, at least one: simple enough for tests to recompute. */
export function simulatedTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

/** A content block as text: images and documents by format and size, so tests can check the bytes arrived. */
function blockText(block: Json): string {
  if (typeof block.text === 'string') return block.text;
  if (block.cachePoint !== undefined) return '';
  const image = block.image as { format: string; source: { bytes: string } } | undefined;
  if (image) return `[image/${image.format} ${Buffer.from(image.source.bytes, 'base64').length} bytes]`;
  const document = block.document as { name: string } | undefined;
  if (document) return `[document ${document.name}]`;
  const result = block.toolResult as { content: Json[] } | undefined;
  if (result) return result.content.map(blockText).join(' ');
  if (block.json !== undefined) return JSON.stringify(block.json);
  return '';
}

/**
 * - the last user turn carries tool results: "The tool <toolUseId> said: <result text>";
 * - tools are given: the model calls the named tool (toolChoice.tool) or the first one, every
 *   required parameter set to "value-<name>";
 * - `outputConfig` asks for a JSON schema: JSON of its shape, strings "value-<name>" (../_shared/json-answer.ts);
 * - otherwise: "Simulated reply from <model>: <last user text>".
 * With Anthropic's `thinking` in additionalModelRequestFields, a signed reasoning block comes
 * first. `stopSequences` and `maxTokens` cut the text as a model would.
 */
export function answer(body: Json, model: string): SimulatedAnswer {
  const messages = body.messages as Array<{ role: string; content: Json[] }>;
  const system = ((body.system as Json[] | undefined) ?? []).map(blockText);
  const inputTokens = simulatedTokens([...system, ...messages.flatMap((message) => message.content.map(blockText))].join('\n'));
  const last = messages.at(-1)!;
  const content: Json[] = [];
  const additional = (body.additionalModelRequestFields as Json | undefined) ?? {};
  if (additional.thinking !== undefined) {
    content.push({ reasoningContent: { reasoningText: { text: 'Thinking about the question.', signature: 'c2ltdWxhdGVkLXNpZ25hdHVyZQ==' } } });
  }
  const results = last.content.filter((block) => block.toolResult !== undefined).map((block) => block.toolResult as { toolUseId: string; content: Json[] });
  const toolConfig = body.toolConfig as { tools: Array<{ toolSpec?: { name: string; inputSchema: { json: { required?: string[] } } } }>; toolChoice?: Json } | undefined;
  if (results.length === 0 && toolConfig) {
    const named = (toolConfig.toolChoice?.tool as { name: string } | undefined)?.name;
    // Cache points between the tools are no tools (API_runtime_Tool.html).
    const specs = toolConfig.tools.flatMap((candidate) => (candidate.toolSpec ? [candidate.toolSpec] : []));
    const spec = specs.find((candidate) => named === undefined || candidate.name === named)!;
    const input = Object.fromEntries((spec.inputSchema.json.required ?? []).map((name) => [name, `value-${name}`]));
    content.push({ toolUse: { toolUseId: `tooluse_sim_0_${spec.name}`, name: spec.name, input } });
    return { content, stopReason: 'tool_use', inputTokens, outputTokens: simulatedTokens(spec.name + JSON.stringify(input)) };
  }
  let text: string;
  const schema = (body.outputConfig as { textFormat: { structure: { jsonSchema: { schema: string } } } } | undefined)?.textFormat.structure.jsonSchema.schema;
  // Structured output constrains every answer, the one after a tool result too.
  if (schema !== undefined) text = JSON.stringify(jsonAnswer(JSON.parse(schema), ''));
  else if (results.length > 0) text = results.map((result) => `The tool ${result.toolUseId} said: ${result.content.map(blockText).join(' ')}`).join('\n');
  else {
    const lastUser = [...messages].reverse().find((message) => message.role === 'user')!;
    text = `Simulated reply from ${model}: ${lastUser.content.filter((block) => block.cachePoint === undefined).map(blockText).join(' ')}`;
  }
  const inference = (body.inferenceConfig as { maxTokens?: number; stopSequences?: string[] } | undefined) ?? {};
  let stopReason: SimulatedAnswer['stopReason'] = 'end_turn';
  for (const sequence of inference.stopSequences ?? []) {
    const at = text.indexOf(sequence);
    if (at >= 0) {
      text = text.slice(0, at);
      stopReason = 'stop_sequence';
    }
  }
  if (inference.maxTokens !== undefined && simulatedTokens(text) > inference.maxTokens) {
    text = text.slice(0, inference.maxTokens * 4);
    stopReason = 'max_tokens';
  }
  content.push({ text });
  return { content, stopReason, inputTokens, outputTokens: simulatedTokens(text) };
}
