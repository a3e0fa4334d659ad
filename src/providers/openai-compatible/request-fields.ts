import type { ResponseFormat, ToolChoice, ToolDefinition } from '../../core/chat-request.ts';

/**
 * Chat Completions request fields as OpenAI shapes them, which OpenAI-style providers that
 * build their body from the typed request (Mistral's ChatCompletionRequest) take as they are.
 */

/** `tools`: each a `function` tool. */
export function convertTools(tools: readonly ToolDefinition[]): Array<Record<string, unknown>> {
  return tools.map((tool) => ({
    type: 'function',
    function: {
      name: tool.name,
      ...(tool.description !== undefined ? { description: tool.description } : {}),
      parameters: tool.parameters,
      ...(tool.strict !== undefined ? { strict: tool.strict } : {}),
    },
  }));
}

/** `tool_choice`: a mode, or one named function. */
export function convertToolChoice(choice: ToolChoice): string | Record<string, unknown> {
  return typeof choice === 'string' ? choice : { type: 'function', function: { name: choice.name } };
}

/** `response_format`: a JSON schema goes under `json_schema`. */
export function convertResponseFormat(format: ResponseFormat): Record<string, unknown> {
  return format.type === 'json_schema'
    ? {
        type: 'json_schema',
        json_schema: {
          name: format.name,
          schema: format.schema,
          ...(format.description !== undefined ? { description: format.description } : {}),
          ...(format.strict !== undefined ? { strict: format.strict } : {}),
        },
      }
    : { type: format.type };
}
