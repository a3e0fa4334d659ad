import { jsonAnswer } from '../_shared/json-answer.ts';

/**
 * How the OpenAI simulator answers: deterministic, derived from the request, so tests can
 * assert exact content, tool calls and token counts.
 */

export interface SimulatedToolCall {
  id: string;
  name: string;
  arguments: string;
}

export interface SimulatedAnswer {
  content: string | null;
  toolCalls: SimulatedToolCall[];
  finishReason: 'stop' | 'tool_calls' | 'length';
  promptTokens: number;
  completionTokens: number;
}

interface Message {
  role: string;
  content?: unknown;
  tool_call_id?: string;
}

interface Tool {
  function: { name: string; parameters?: { properties?: Record<string, unknown>; required?: string[] } };
}

/** Four characters per token, at least one: simple enough for tests to recompute. */
export function simulatedTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content.map((part: { type?: string; text?: string }) => (part.type === 'text' ? (part.text ?? '') : `[${part.type}]`)).join(' ');
  }
  return '';
}

/**
 * - the last message is a tool result: the answer quotes it;
 * - tools are given (and tool_choice is not "none"): the model calls the first tool (or the
 *   named one), with every required parameter set to "value-<name>"; with parallel calls allowed
 *   and two tools given it calls both; a max_tokens too small for the calls cuts them off
 *   (finish_reason "length", the last call's arguments not valid JSON);
 * - otherwise: "Simulated reply from <model>: <last user text>"; with a `response_format` of
 *   json_schema, JSON of the schema's shape instead, and `{"reply": ...}` for json_object
 *   (../_shared/json-answer.ts).
 */
export function answer(body: Record<string, unknown>): SimulatedAnswer {
  const messages = body.messages as Message[];
  const model = String(body.model);
  const last = messages[messages.length - 1];
  const prompt = messages.map((message) => textOf(message.content)).join('\n');
  const promptTokens = simulatedTokens(prompt);
  const tools = (body.tools as Tool[] | undefined) ?? [];
  const choice = body.tool_choice as string | { function: { name: string } } | undefined;
  if (last?.role !== 'tool' && tools.length > 0 && choice !== 'none') {
    const named = typeof choice === 'object' ? tools.filter((tool) => tool.function.name === choice.function.name) : tools;
    const calling = body.parallel_tool_calls !== false && typeof choice !== 'object' ? named.slice(0, 2) : named.slice(0, 1);
    const toolCalls = calling.map((tool, index) => ({
      id: `call_sim_${index}_${tool.function.name}`,
      name: tool.function.name,
      arguments: JSON.stringify(
        Object.fromEntries((tool.function.parameters?.required ?? []).map((name) => [name, `value-${name}`])),
      ),
    }));
    const completionTokens = simulatedTokens(toolCalls.map((call) => call.name + call.arguments).join(''));
    const limit = (body.max_completion_tokens ?? body.max_tokens) as number | undefined;
    if (limit !== undefined && completionTokens > limit) {
      // As a model cut off mid-call: finish_reason "length", the last call's arguments cut short
      // (not valid JSON), the calls after it never made.
      return { content: null, toolCalls: cutToolCalls(toolCalls, limit * 4), finishReason: 'length', promptTokens, completionTokens: limit };
    }
    return { content: null, toolCalls, finishReason: 'tool_calls', promptTokens, completionTokens };
  }
  const reply = `Simulated reply from ${model}: ${textOf([...messages].reverse().find((message) => message.role === 'user')?.content)}`;
  const format = body.response_format as { type?: string; json_schema?: { schema?: unknown } } | undefined;
  // Structured output constrains every answer, the one after a tool result too.
  const content =
    format?.type === 'json_schema' || format?.type === 'json_object'
      ? JSON.stringify(jsonAnswer(format.json_schema?.schema, reply))
      : last?.role === 'tool'
        ? `The tool ${last.tool_call_id} said: ${textOf(last.content)}`
        : reply;
  const limit = (body.max_completion_tokens ?? body.max_tokens) as number | undefined;
  if (limit !== undefined && simulatedTokens(content) > limit) {
    const cut = content.slice(0, limit * 4);
    return { content: cut, toolCalls: [], finishReason: 'length', promptTokens, completionTokens: limit };
  }
  return { content, toolCalls: [], finishReason: 'stop', promptTokens, completionTokens: simulatedTokens(content) };
}

/** The tool calls a model writes in `characters` (names and arguments), the last one cut short. */
function cutToolCalls(calls: SimulatedToolCall[], characters: number): SimulatedToolCall[] {
  const made: SimulatedToolCall[] = [];
  let left = characters;
  for (const call of calls) {
    left -= call.name.length;
    made.push({ ...call, arguments: call.arguments.slice(0, Math.max(1, left)) });
    left -= call.arguments.length;
    if (left < 0) break;
  }
  return made;
}
