/**
 * A value matching a JSON Schema's required shape, or `{"reply": text}` without a schema: what
 * the simulators answer when structured output is asked for (OpenAI's `response_format`,
 * Mistral's, Cohere's `json_object`, Anthropic's `output_config.format`, Bedrock's
 * `outputConfig.textFormat`, Gemini's `responseJsonSchema`), as the real APIs answer JSON that
 * parses, with values of the schema's types. Strings are "value-<property>".
 */
export function jsonAnswer(schema: unknown, text: string): unknown {
  if (typeof schema !== 'object' || schema === null) return { reply: text };
  const node = schema as { type?: string | string[]; properties?: Record<string, unknown>; required?: string[]; items?: unknown; enum?: unknown[]; anyOf?: unknown[] };
  if (node.enum?.length) return node.enum[0];
  if (node.anyOf?.length) return jsonAnswer(node.anyOf[0], text);
  // A nullable type (`["string", "null"]`, as zod writes `.nullable()`): the value, not null.
  const type = Array.isArray(node.type) ? node.type.find((item) => item !== 'null') : node.type;
  switch (type) {
    case 'object':
      return Object.fromEntries((node.required ?? Object.keys(node.properties ?? {})).map((name) => [name, jsonAnswer(node.properties?.[name] ?? {}, `value-${name}`)]));
    case 'array':
      return [jsonAnswer(node.items, text)];
    case 'integer':
    case 'number':
      return 1;
    case 'boolean':
      return true;
    default:
      return text;
  }
}
