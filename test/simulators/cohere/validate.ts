/**
 * Request checks for the Cohere simulator. Cohere's spec is not shipped (no open licence), so
 * the rules are written from the public API reference: https://docs.cohere.com/reference/chat
 * (Chat v2 body, message roles and their fields) and https://docs.cohere.com/reference/embed
 * (Embed v2). Unknown fields are refused, as a strict upstream must; the wording of the messages
 * is the simulator's (Cohere's own start with "invalid request: ", docs.cohere.com/errors-reference).
 */

const chatFields = new Set([
  'model', 'messages', 'stream', 'tools', 'strict_tools', 'documents', 'citation_options', 'response_format', 'safety_mode',
  'max_tokens', 'stop_sequences', 'temperature', 'seed', 'frequency_penalty', 'presence_penalty', 'k', 'p', 'logprobs',
  'tool_choice', 'thinking', 'priority',
]);
const embedFields = new Set(['model', 'input_type', 'texts', 'images', 'inputs', 'max_tokens', 'output_dimension', 'embedding_types', 'truncate']);
const messageFields: Record<string, Set<string>> = {
  system: new Set(['role', 'content']),
  user: new Set(['role', 'content']),
  assistant: new Set(['role', 'content', 'tool_calls', 'tool_plan', 'citations']),
  tool: new Set(['role', 'tool_call_id', 'content']),
};
const inputTypes = new Set(['search_document', 'search_query', 'classification', 'clustering', 'image']);

type Body = Record<string, unknown>;

const isObject = (value: unknown): value is Body => typeof value === 'object' && value !== null && !Array.isArray(value);
const unknownField = (value: Body, allowed: Set<string>) => Object.keys(value).find((key) => !allowed.has(key));

/** Returns the 400 message for a bad Chat v2 body, or undefined. */
export function checkChat(body: Body): string | undefined {
  const extra = unknownField(body, chatFields);
  if (extra) return `invalid request: unknown field: parameter '${extra}' is not a valid field`;
  if (typeof body.model !== 'string' || body.model === '') return 'invalid request: model must be a string';
  if (!Array.isArray(body.messages) || body.messages.length === 0) return 'invalid request: messages must be a non-empty list';
  for (const [index, message] of (body.messages as unknown[]).entries()) {
    const problem = checkMessage(message, index);
    if (problem) return problem;
  }
  const pairing = checkToolPairing(body.messages as Body[]);
  if (pairing) return pairing;
  if (body.tools !== undefined) {
    if (!Array.isArray(body.tools)) return 'invalid request: tools must be a list';
    for (const tool of body.tools as unknown[]) {
      if (!isObject(tool) || tool.type !== 'function' || !isObject(tool.function) || unknownField(tool, new Set(['type', 'function']))) {
        return 'invalid request: each tool must be {"type": "function", "function": {...}}';
      }
      const extraKey = unknownField(tool.function, new Set(['name', 'description', 'parameters']));
      if (extraKey) return `invalid request: unknown field: parameter 'tools.function.${extraKey}' is not a valid field`;
      if (typeof tool.function.name !== 'string') return 'invalid request: tool function name must be a string';
    }
  }
  if (body.tool_choice !== undefined) {
    if (body.tool_choice !== 'REQUIRED' && body.tool_choice !== 'NONE') return "invalid request: tool_choice must be one of 'REQUIRED', 'NONE'";
    if (body.tool_choice === 'REQUIRED' && !Array.isArray(body.tools)) return 'invalid request: tool_choice REQUIRED needs tools';
  }
  if (body.response_format !== undefined) {
    const format = body.response_format;
    if (!isObject(format) || (format.type !== 'text' && format.type !== 'json_object') || unknownField(format, new Set(['type', 'json_schema']))) {
      return "invalid request: response_format must be {\"type\": \"text\"} or {\"type\": \"json_object\", \"json_schema\": {...}}";
    }
    if (format.type === 'json_object' && Array.isArray(body.tools)) return 'invalid request: response_format is not supported with tools';
  }
  return checkRanges(body);
}

function checkRanges(body: Body): string | undefined {
  const number = (key: string, minimum: number, maximum: number) => {
    const value = body[key];
    if (value === undefined) return undefined;
    return typeof value === 'number' && value >= minimum && value <= maximum ? undefined : `invalid request: ${key} must be between ${minimum} and ${maximum} inclusive`;
  };
  if (body.stop_sequences !== undefined && (!Array.isArray(body.stop_sequences) || body.stop_sequences.length > 5)) {
    return 'invalid request: stop_sequences must be a list of at most 5 strings';
  }
  if (body.stream !== undefined && typeof body.stream !== 'boolean') return 'invalid request: stream must be a boolean';
  return (
    number('temperature', 0, 5) ??
    number('p', 0.01, 0.99) ??
    number('k', 0, 500) ??
    number('frequency_penalty', 0, 1) ??
    number('presence_penalty', 0, 1) ??
    number('max_tokens', 1, 1_000_000)
  );
}

function checkMessage(message: unknown, index: number): string | undefined {
  if (!isObject(message)) return `invalid request: messages[${index}] must be an object`;
  const allowed = messageFields[String(message.role)];
  if (!allowed) return `invalid request: messages[${index}].role must be one of 'user', 'assistant', 'system', 'tool'`;
  const extra = unknownField(message, allowed);
  if (extra) return `invalid request: unknown field: parameter 'messages[${index}].${extra}' is not a valid field`;
  switch (message.role) {
    case 'user':
      return checkContent(message.content, index, ['text', 'image_url']);
    case 'system':
      return checkContent(message.content, index, ['text']);
    case 'tool':
      if (typeof message.tool_call_id !== 'string') return `invalid request: messages[${index}].tool_call_id must be a string`;
      return checkContent(message.content, index, ['text', 'document']);
    default:
      if (message.content !== undefined) {
        const problem = checkContent(message.content, index, ['text', 'thinking']);
        if (problem) return problem;
      }
      if (message.tool_calls === undefined && message.content === undefined) return `invalid request: messages[${index}] needs content or tool_calls`;
      for (const call of (message.tool_calls as unknown[] | undefined) ?? []) {
        if (!isObject(call) || typeof call.id !== 'string' || call.type !== 'function' || !isObject(call.function) || typeof call.function.arguments !== 'string') {
          return `invalid request: messages[${index}].tool_calls must be [{"id", "type": "function", "function": {"name", "arguments"}}]`;
        }
      }
      return undefined;
  }
}

function checkContent(content: unknown, index: number, types: string[]): string | undefined {
  if (typeof content === 'string') return undefined;
  if (!Array.isArray(content)) return `invalid request: messages[${index}].content must be a string or a list`;
  for (const item of content as unknown[]) {
    if (!isObject(item) || !types.includes(String(item.type))) return `invalid request: messages[${index}].content items must be of type ${types.join(', ')}`;
    if (item.type === 'image_url' && (!isObject(item.image_url) || typeof item.image_url.url !== 'string' || unknownField(item.image_url, new Set(['url', 'detail'])))) {
      return `invalid request: messages[${index}].content image_url must be {"url", "detail"?}`;
    }
  }
  return undefined;
}

/** A tool message must answer a call of an earlier assistant message that was not answered yet. */
function checkToolPairing(messages: Body[]): string | undefined {
  const open = new Set<string>();
  for (const message of messages) {
    if (message.role === 'tool') {
      if (!open.delete(String(message.tool_call_id))) {
        return `invalid request: tool message with tool_call_id '${String(message.tool_call_id)}' does not answer a tool call of a preceding assistant message`;
      }
    } else if (message.role === 'assistant') {
      for (const call of (message.tool_calls as Array<{ id: string }> | undefined) ?? []) open.add(call.id);
    }
  }
  return undefined;
}

/** Returns the 400 message for a bad Embed v2 body, or undefined. */
export function checkEmbed(body: Body): string | undefined {
  const extra = unknownField(body, embedFields);
  if (extra) return `invalid request: unknown field: parameter '${extra}' is not a valid field`;
  if (typeof body.model !== 'string') return 'invalid request: model must be a string';
  if (!inputTypes.has(String(body.input_type))) return 'invalid request: valid input_type must be provided with the provided model';
  if (!Array.isArray(body.embedding_types) || body.embedding_types.length === 0) return 'invalid request: embedding_types is required';
  if (!Array.isArray(body.texts) || body.texts.length === 0 || body.texts.length > 96) return 'invalid request: texts must be a list of 1 to 96 strings';
  return undefined;
}
