import { jsonAnswer } from '../_shared/json-answer.ts';
import { signaturePrefix, type GenerateContentBody, type SimulatedContent, type SimulatedPart } from './conversation-rules.ts';

/**
 * How the Gemini simulator answers: deterministic, derived from the request, so tests can assert
 * exact content, calls and token counts.
 * - the last turn holds function responses: the answer quotes them, by function name;
 * - function declarations are given (mode not NONE): the model calls the first function (the first
 *   allowed one in mode ANY), or the first two when two are declared and none is named, with
 *   every required parameter set to "value-<name>"; the first call carries a thought signature,
 *   as Gemini 3 does, and no id, as older models do;
 * - otherwise: "Simulated reply from <model>: <last user text>", as JSON when JSON is asked for;
 * - thinking with `includeThoughts`: a thought summary part comes first.
 */

export interface SimulatedAnswer {
  parts: SimulatedPart[];
  finishReason: 'STOP' | 'MAX_TOKENS';
  promptTokens: number;
  candidatesTokens: number;
  thoughtsTokens: number;
}

/** Four characters per token, at least one: simple enough for tests to recompute. */
export function simulatedTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

function textOf(content: SimulatedContent | undefined): string {
  return (content?.parts ?? [])
    .map((part) => (part.text !== undefined ? (part.thought ? '' : part.text) : part.inlineData ? `[${part.inlineData.mimeType}]` : ''))
    .filter(Boolean)
    .join(' ');
}

interface Declaration {
  name?: string;
  parameters?: { required?: string[] };
  parametersJsonSchema?: { required?: string[] };
}

/** `sequence` numbers the answer, making each issued thought signature distinct. */
export function answer(body: GenerateContentBody, model: string, sequence: number): SimulatedAnswer {
  const contents = body.contents ?? [];
  const last = contents.at(-1);
  const promptTokens = simulatedTokens([textOf(body.systemInstruction), ...contents.map(textOf)].join('\n'));
  const lastUserText = textOf([...contents].reverse().find((content) => content.role !== 'model' && (content.parts ?? []).some((part) => part.text !== undefined || part.inlineData)));
  const config = body.generationConfig ?? {};
  const thinking = config.thinkingConfig as { includeThoughts?: boolean } | undefined;
  const thought: SimulatedPart[] = thinking?.includeThoughts ? [{ text: `**Thinking**\n\nAbout: ${lastUserText}`, thought: true }] : [];
  const thoughtsTokens = thought.length ? simulatedTokens(thought[0]!.text!) : 0;

  const results = (last?.parts ?? []).filter((part) => part.functionResponse);
  const declarations = (body.tools ?? []).flatMap((tool) => (tool.functionDeclarations ?? []) as Declaration[]);
  const calling = body.toolConfig?.functionCallingConfig;
  if (results.length === 0 && declarations.length > 0 && calling?.mode !== 'NONE') {
    const allowed = calling?.allowedFunctionNames;
    const named = allowed?.length ? declarations.filter((declaration) => allowed.includes(declaration.name ?? '')) : declarations;
    const chosen = allowed?.length ? named.slice(0, 1) : named.slice(0, 2);
    const parts: SimulatedPart[] = chosen.map((declaration, index) => ({
      functionCall: {
        name: declaration.name ?? '',
        args: Object.fromEntries(((declaration.parametersJsonSchema ?? declaration.parameters)?.required ?? []).map((name) => [name, `value-${name}`])),
      },
      ...(index === 0 ? { thoughtSignature: Buffer.from(`${signaturePrefix}${sequence}:${declaration.name}`).toString('base64') } : {}),
    }));
    return { parts: [...thought, ...parts], finishReason: 'STOP', promptTokens, candidatesTokens: simulatedTokens(JSON.stringify(parts)), thoughtsTokens };
  }

  let text =
    results.length > 0
      ? results.map((part) => `The tool ${part.functionResponse?.name} said: ${quote(part.functionResponse?.response)}`).join('; ')
      : `Simulated reply from ${model}: ${lastUserText}`;
  if (config.responseMimeType === 'application/json') text = JSON.stringify(jsonAnswer(config.responseJsonSchema ?? config._responseJsonSchema, text));
  const limit = config.maxOutputTokens as number | undefined;
  if (limit !== undefined && simulatedTokens(text) > limit) {
    return { parts: [...thought, { text: text.slice(0, limit * 4) }], finishReason: 'MAX_TOKENS', promptTokens, candidatesTokens: limit, thoughtsTokens };
  }
  return { parts: [...thought, { text }], finishReason: 'STOP', promptTokens, candidatesTokens: simulatedTokens(text), thoughtsTokens };
}

function quote(response: Record<string, unknown> | undefined): string {
  const value = response?.output ?? response?.error ?? response;
  return typeof value === 'string' ? value : JSON.stringify(value);
}
