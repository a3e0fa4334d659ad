/**
 * How the Anthropic simulator answers: deterministic, derived from the request, so tests can
 * assert exact content, tool calls and token counts.
 */

import { jsonAnswer } from '../_shared/json-answer.ts';

export type SimulatedBlock =
  | { type: 'text'; text: string }
  | { type: 'thinking'; thinking: string; signature: string }
  | { type: 'tool_use'; id: string; name: string; input: Record<string, string> };

export interface SimulatedMessage {
  content: SimulatedBlock[];
  stopReason: 'end_turn' | 'tool_use' | 'max_tokens' | 'stop_sequence';
  stopSequence: string | null;
  inputTokens: number;
  outputTokens: number;
}

interface Block {
  type?: string;
  text?: string;
  tool_use_id?: string;
  content?: unknown;
}

interface Message {
  role: string;
  content: string | Block[];
}

interface Tool {
  name: string;
  input_schema?: { required?: string[] };
}

interface ToolChoice {
  type: 'auto' | 'any' | 'tool' | 'none';
  name?: string;
  disable_parallel_tool_use?: boolean;
}

/** Four characters per token, at least one: simple enough for tests to recompute. */
export function simulatedTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

/** A message's content as text; non-text blocks appear as `[type]`, tool results as their text. */
export function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return (content as Block[])
    .map((block) => (block.type === 'text' ? (block.text ?? '') : block.type === 'tool_result' ? textOf(block.content) : `[${block.type}]`))
    .join(' ');
}

/**
 * - the last user turn holds tool results: the answer quotes each ("The tool <id> said: …");
 * - tools are given and tool_choice is not "none": the model calls the first tool (or the named
 *   one) with every required parameter set to "value-<name>"; unless parallel use is disabled
 *   or a tool is named, it calls the first two;
 * - `output_config.format` is a JSON schema: the answer is JSON of its shape, strings
 *   "value-<name>" (../_shared/json-answer.ts);
 * - otherwise: "Simulated reply from <model>: <last user text>".
 * With `thinking` enabled a thinking block (with a signature) comes first. A stop sequence in
 * the text cuts it there (stop_reason "stop_sequence"); more tokens than max_tokens cut it too.
 */
export function answer(body: Record<string, unknown>): SimulatedMessage {
  const messages = body.messages as Message[];
  const model = String(body.model);
  const last = messages.at(-1);
  const lastUser = [...messages].reverse().find((message) => message.role === 'user');
  const prompt = [textOf(body.system), ...messages.map((message) => textOf(message.content))].join('\n');
  const inputTokens = simulatedTokens(prompt);
  const tools = (body.tools as Tool[] | undefined) ?? [];
  const choice = body.tool_choice as ToolChoice | undefined;
  const results = last?.role === 'user' && Array.isArray(last.content) ? last.content.filter((block) => block.type === 'tool_result') : [];
  const thinking: SimulatedBlock[] =
    (body.thinking as { type?: string } | undefined)?.type === 'enabled'
      ? [{ type: 'thinking', thinking: `Simulated thinking about: ${textOf(lastUser?.content)}`, signature: `sim-signature-${simulatedTokens(prompt)}` }]
      : [];

  if (results.length === 0 && tools.length > 0 && choice?.type !== 'none') {
    const named = choice?.type === 'tool' ? tools.filter((tool) => tool.name === choice.name) : tools;
    const calling = choice?.disable_parallel_tool_use === true || choice?.type === 'tool' ? named.slice(0, 1) : named.slice(0, 2);
    const calls: SimulatedBlock[] = calling.map((tool, index) => ({
      type: 'tool_use',
      id: `toolu_sim_${index}_${tool.name}`,
      name: tool.name,
      input: Object.fromEntries((tool.input_schema?.required ?? []).map((name) => [name, `value-${name}`])),
    }));
    const outputTokens = simulatedTokens(calling.map((tool) => tool.name).join('') + JSON.stringify(calls));
    return { content: [...thinking, ...calls], stopReason: 'tool_use', stopSequence: null, inputTokens, outputTokens };
  }

  const format = (body.output_config as { format?: { type?: string; schema?: unknown } } | undefined)?.format;
  let text: string;
  // Structured output constrains every answer, the one after a tool result too.
  if (format?.type === 'json_schema') text = JSON.stringify(jsonAnswer(format.schema, ''));
  else if (results.length > 0) text = results.map((block) => `The tool ${block.tool_use_id} said: ${textOf(block.content)}`).join('\n');
  else text = `Simulated reply from ${model}: ${textOf(lastUser?.content)}`;

  let stopReason: SimulatedMessage['stopReason'] = 'end_turn';
  let stopSequence: string | null = null;
  for (const sequence of (body.stop_sequences as string[] | undefined) ?? []) {
    const at = text.indexOf(sequence);
    if (at >= 0 && (stopSequence === null || at < text.indexOf(stopSequence))) {
      stopSequence = sequence;
      stopReason = 'stop_sequence';
    }
  }
  if (stopSequence !== null) text = text.slice(0, text.indexOf(stopSequence));
  const limit = Number(body.max_tokens);
  if (simulatedTokens(text) > limit) {
    text = text.slice(0, limit * 4);
    stopReason = 'max_tokens';
    stopSequence = null;
  }
  const content: SimulatedBlock[] = [...thinking, ...(text === '' ? [] : [{ type: 'text' as const, text }])];
  return { content, stopReason, stopSequence, inputTokens, outputTokens: stopReason === 'max_tokens' ? limit : simulatedTokens(text) };
}
