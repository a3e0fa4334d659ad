import type { ChatRequest } from '../core/chat-request.ts';

/** One piece of caller text a guardrail reads and, for redaction, rewrites. */
export interface TextSlot {
  get(): string;
  set(text: string): void;
}

/**
 * The caller's text in a typed chat request: everything an adapter may send a provider that the
 * caller wrote. Every text part (system, user, assistant history, tool results), the arguments of
 * past tool calls, reasoning text, message names, tool descriptions and parameter schemas, the
 * response format's schema, stop sequences and the end-user id. An outside probe found a block
 * guardrail let an email through in a tool description, a schema description, `user` and `stop`,
 * as the typed request carries them to a provider of another format. Images, files and reasoning
 * signatures are not text the caller typed and are left alone.
 */
export function chatTextSlots(request: ChatRequest): TextSlot[] {
  const slots: TextSlot[] = [];
  for (const message of request.messages) {
    if ((message.role === 'user' || message.role === 'assistant') && message.name !== undefined) {
      slots.push({ get: () => message.name!, set: (text) => (message.name = text) });
    }
    for (const part of message.content) {
      if (part.type === 'text' || part.type === 'reasoning') {
        slots.push({ get: () => part.text, set: (text) => (part.text = text) });
      } else if (part.type === 'tool-call') {
        slots.push({ get: () => part.arguments, set: (text) => (part.arguments = text) });
      } else if (part.type === 'file' && part.filename !== undefined) {
        slots.push({ get: () => part.filename!, set: (text) => (part.filename = text) });
      }
    }
  }
  for (const tool of request.tools ?? []) {
    if (tool.description !== undefined) slots.push({ get: () => tool.description!, set: (text) => (tool.description = text) });
    jsonTextSlots(tool.parameters, slots, noFields);
  }
  const format = request.responseFormat;
  if (format?.type === 'json_schema') {
    if (format.description !== undefined) slots.push({ get: () => format.description!, set: (text) => (format.description = text) });
    jsonTextSlots(format.schema, slots, noFields);
  }
  if (request.stop) jsonTextSlots(request.stop, slots, opaqueFields);
  if (request.user !== undefined) slots.push({ get: () => request.user!, set: (text) => (request.user = text) });
  return slots;
}

/** The inputs of an embeddings request, and its end-user id. */
export function embeddingTextSlots(request: { input: string[]; user?: string }): TextSlot[] {
  const slots: TextSlot[] = request.input.map((_, index) => ({ get: () => request.input[index]!, set: (text) => (request.input[index] = text) }));
  if (request.user !== undefined) slots.push({ get: () => request.user!, set: (text) => (request.user = text) });
  return slots;
}

/**
 * Fields of a body that hold identifiers, media, signatures or enumerated settings rather than
 * caller text (a deny pattern must not match `"detail": "high"`), and the token a caller gives
 * Anthropic on purpose to reach its own MCP server (`mcp_servers[].authorization_token`), which
 * an `api_key` redaction would otherwise break.
 */
const opaqueFields = new Set([
  'model', 'role', 'type', 'id', 'tool_call_id', 'tool_use_id', 'url', 'image_url', 'data', 'file_data', 'file_id', 'signature', 'media_type',
  'detail', 'format', 'reasoning_effort', 'effort', 'service_tier', 'verbosity', 'modalities', 'encoding_format', 'voice', 'tool_choice', 'ttl',
  'authorization_token',
]);

/**
 * Fields whose value is a JSON schema the caller wrote (a tool's parameters, a structured output's
 * schema): its own fields are named by the caller (a property `id`, `url` or `data`, an example
 * object's `{"id": "jane@example.com"}`), so none of them is opaque. An outside probe found an
 * email under such a name in a schema's `examples` or `default` passed a block guardrail.
 */
const schemaFields = new Set(['parameters', 'input_schema', 'schema']);
const noFields: ReadonlySet<string> = new Set();

/** Slots for the strings of a JSON value (a tool's parameters, a schema), the `skipped` fields excepted. */
function jsonTextSlots(value: unknown, slots: TextSlot[], skipped: ReadonlySet<string>): void {
  if (Array.isArray(value)) {
    value.forEach((item, index) => {
      if (typeof item === 'string') slots.push({ get: () => value[index] as string, set: (text) => (value[index] = text) });
      else jsonTextSlots(item, slots, skipped);
    });
  } else if (typeof value === 'object' && value !== null) {
    const object = value as Record<string, unknown>;
    for (const [key, item] of Object.entries(object)) {
      if (typeof item === 'string') {
        if (!skipped.has(key)) slots.push({ get: () => object[key] as string, set: (text) => (object[key] = text) });
      } else {
        jsonTextSlots(item, slots, skipped);
      }
    }
  }
}

/**
 * Every text value of a native body (the caller's original JSON, which a provider of the same
 * format receives as it is): what the guardrails read when a request has one, so a field the typed
 * request does not model (`prediction`, a document's `context`) is read too.
 */
export function nativeBodyTexts(body: Record<string, unknown>): string[] {
  const texts: string[] = [];
  const walk = (value: unknown, field: string | undefined, skipped: ReadonlySet<string>): void => {
    if (typeof value === 'string') {
      if (field === undefined || !skipped.has(field)) texts.push(value);
    } else if (Array.isArray(value)) {
      for (const item of value) walk(item, field, skipped);
    } else if (typeof value === 'object' && value !== null) {
      for (const [key, item] of Object.entries(value)) walk(item, key, schemaFields.has(key) ? noFields : skipped);
    }
  };
  walk(body, undefined, opaqueFields);
  return texts;
}

/**
 * Applies `rewrite` to every text value of a native body (the caller's original JSON, which
 * same-format adapters forward instead of the parsed request), so a redaction cannot be
 * bypassed by passthrough. Returns a rewritten copy.
 */
export function rewriteNativeBody(body: Record<string, unknown>, rewrite: (text: string) => string): Record<string, unknown> {
  const walk = (value: unknown, field: string | undefined, skipped: ReadonlySet<string>): unknown => {
    if (typeof value === 'string') return field !== undefined && skipped.has(field) ? value : rewrite(value);
    if (Array.isArray(value)) return value.map((item) => walk(item, field, skipped));
    if (typeof value === 'object' && value !== null) {
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, walk(item, key, schemaFields.has(key) ? noFields : skipped)]));
    }
    return value;
  };
  return walk(body, undefined, opaqueFields) as Record<string, unknown>;
}
