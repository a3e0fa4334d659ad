import type { AssistantMessage, ChatMessage, FilePart, ImagePart, TextPart, ToolMessage, UserMessage } from '../../core/chat-request.ts';
import type { Warning } from '../../core/chat-result.ts';
import { GatewayError } from '../../core/errors.ts';
import { parseToolArguments } from '../_shared/parse-tool-arguments.ts';
import { LatestBreakpoints, wantsAnHour } from '../_shared/cache-breakpoints.ts';

/**
 * ChatRequest messages → Anthropic's top-level `system` and its `messages` (openapi.json
 * `CreateMessageParams.system`, `InputMessage`, the `Request*Block` schemas).
 */

/** openapi.json `RequestTextBlock` (its `text` has `minLength: 1`: empty text is never sent). */
export interface TextBlock {
  type: 'text';
  text: string;
  /** openapi.json `CacheControlEphemeral`. */
  cache_control?: { type: 'ephemeral'; ttl?: '1h' };
}

/** Anthropic takes at most 4 cache breakpoints a request, and refuses more: the latest four are sent. */
const maxBreakpoints = 4;

/** The content blocks this adapter sends. */
export type RequestBlock =
  | TextBlock
  | { type: 'image'; source: { type: 'base64'; media_type: string; data: string } | { type: 'url'; url: string } }
  | { type: 'document'; source: { type: 'base64'; media_type: 'application/pdf'; data: string }; title?: string }
  | { type: 'thinking'; thinking: string; signature: string }
  | { type: 'redacted_thinking'; data: string }
  | { type: 'tool_use'; id: string; name: string; input: Record<string, unknown> }
  | { type: 'tool_result'; tool_use_id: string; content?: string | Array<Extract<RequestBlock, { type: 'text' | 'image' }>>; is_error?: boolean };

/** openapi.json `InputMessage`; a lone text block goes as the string shorthand. */
export interface InputMessage {
  role: 'user' | 'assistant';
  content: string | RequestBlock[];
}

export interface ConvertedMessages {
  system?: string | TextBlock[];
  messages: InputMessage[];
}

/** openapi.json `Base64ImageSource.media_type`. */
const imageMediaTypes: ReadonlySet<string> = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp']);

/**
 * Converts the conversation. System (and developer) messages become the top-level `system`,
 * wherever they stood; tool messages become `tool_result` blocks of one user turn, so all the
 * results of an assistant turn's calls answer it together, as Anthropic requires; consecutive
 * turns of one role are merged, as Anthropic would merge them anyway (openapi.json
 * `CreateMessageParams.messages`: "Consecutive user or assistant turns … will be combined").
 */
export function convertMessages(messages: readonly ChatMessage[], warnings: Warning[]): ConvertedMessages {
  budget = new LatestBreakpoints(messages, maxBreakpoints);
  const system: TextBlock[] = [];
  const turns: Array<{ role: 'user' | 'assistant'; content: RequestBlock[] }> = [];
  let conversationStarted = false;
  messages.forEach((message, index) => {
    if (message.role === 'system') {
      if (conversationStarted) {
        warnings.push(movedSystemWarning(index));
      }
      system.push(...nonEmptyText(message.content));
      return;
    }
    conversationStarted = true;
    const role = message.role === 'assistant' ? 'assistant' : 'user';
    const content = convertTurn(message, index, warnings);
    if (content.length === 0) {
      warnings.push({ type: 'dropped-setting', setting: `messages[${index}]`, message: `messages[${index}] has no content Anthropic accepts (empty text); it was left out` });
      return;
    }
    const last = turns.at(-1);
    if (last?.role === role) last.content.push(...content);
    else turns.push({ role, content });
  });
  return {
    ...(system.length === 1 && !system[0]!.cache_control ? { system: system[0]!.text } : system.length > 0 ? { system } : {}),
    messages: turns.map((turn) => ({
      role: turn.role,
      content: turn.content.length === 1 && isBareText(turn.content[0]!) ? turn.content[0].text : turn.content,
    })),
  };
}

/** Anthropic has no system turn: one that stood mid-conversation is moved into `system`, with this. */
export function movedSystemWarning(index: number): Warning {
  return {
    type: 'other',
    setting: `messages[${index}]`,
    message: `Anthropic takes system instructions only before the conversation; the system message at messages[${index}] was moved into the top-level system prompt`,
  };
}

function convertTurn(message: UserMessage | AssistantMessage | ToolMessage, index: number, warnings: Warning[]): RequestBlock[] {
  switch (message.role) {
    case 'user':
      dropName(message.name, index, warnings);
      return message.content.flatMap((part) => convertUserPart(part, index, warnings));
    case 'assistant':
      dropName(message.name, index, warnings);
      return message.content.flatMap((part): RequestBlock[] => {
        switch (part.type) {
          case 'text':
            return textBlocks(part);
          case 'tool-call':
            return [{ type: 'tool_use', id: toolUseId(part.id), name: part.name, input: parseArguments(part.arguments, part.id, index) }];
          case 'reasoning':
            if (part.redacted !== undefined) return [{ type: 'redacted_thinking', data: part.redacted }];
            if (part.signature !== undefined) return [{ type: 'thinking', thinking: part.text, signature: part.signature }];
            // Anthropic verifies thinking blocks by their signature; reasoning from another
            // provider has none and would be rejected (openapi.json RequestThinkingBlock).
            warnings.push({ type: 'dropped-setting', setting: `messages[${index}].reasoning`, message: `Reasoning without an Anthropic signature at messages[${index}] cannot be sent back to Anthropic; it was left out` });
            return [];
          default: {
            const exhaustive: never = part;
            return exhaustive;
          }
        }
      });
    case 'tool':
      return [convertToolResult(message, index, warnings)];
    default: {
      const exhaustive: never = message;
      return exhaustive;
    }
  }
}

function convertToolResult(message: ToolMessage, index: number, warnings: Warning[]): RequestBlock {
  const content = message.content.flatMap((part): Array<Extract<RequestBlock, { type: 'text' | 'image' }>> => {
    switch (part.type) {
      case 'text':
        return textBlocks(part);
      case 'image':
        return [convertImage(part, index, warnings)];
      default: {
        const exhaustive: never = part;
        return exhaustive;
      }
    }
  });
  return {
    type: 'tool_result',
    tool_use_id: toolUseId(message.toolCallId),
    ...(content.length === 1 && isBareText(content[0]!) ? { content: content[0].text } : content.length > 0 ? { content } : {}),
    ...(message.isError ? { is_error: true } : {}),
  };
}

function convertUserPart(part: TextPart | ImagePart | FilePart, index: number, warnings: Warning[]): RequestBlock[] {
  switch (part.type) {
    case 'text':
      return textBlocks(part);
    case 'image':
      return [convertImage(part, index, warnings)];
    case 'file':
      return [convertFile(part, index)];
    default: {
      const exhaustive: never = part;
      return exhaustive;
    }
  }
}

/** Data URLs become base64 sources, https URLs url sources (openapi.json `RequestImageBlock.source`). */
function convertImage(part: ImagePart, index: number, warnings: Warning[]): Extract<RequestBlock, { type: 'image' }> {
  if (part.detail === 'low' || part.detail === 'high') {
    warnings.push({ type: 'unsupported-setting', setting: `messages[${index}].image_url.detail`, message: `Anthropic has no image detail setting; detail "${part.detail}" was not sent` });
  }
  if (part.url.startsWith('data:')) {
    const match = /^data:([^;,]+);base64,(.*)$/s.exec(part.url);
    if (!match) throw invalid(`The image at messages[${index}] is a data URL that is not base64-encoded; Anthropic takes base64 image data only.`, `messages[${index}]`);
    const mediaType = match[1]!.toLowerCase();
    if (!imageMediaTypes.has(mediaType)) {
      throw invalid(`Anthropic does not accept images of type ${mediaType} (messages[${index}]); it takes ${[...imageMediaTypes].join(', ')}.`, `messages[${index}]`);
    }
    return { type: 'image', source: { type: 'base64', media_type: mediaType, data: match[2]! } };
  }
  if (/^https:\/\//i.test(part.url)) return { type: 'image', source: { type: 'url', url: part.url } };
  throw invalid(`Anthropic takes images as https URLs or base64 data URLs; the image URL at messages[${index}] is neither.`, `messages[${index}]`);
}

/** Only PDFs have a document source Anthropic takes as base64 (openapi.json `Base64PDFSource`). */
function convertFile(part: FilePart, index: number): RequestBlock {
  if (part.mediaType !== 'application/pdf') {
    throw invalid(`Anthropic does not accept files of type ${part.mediaType} (messages[${index}]); it takes application/pdf documents only.`, `messages[${index}]`);
  }
  if (part.data === undefined) {
    throw invalid(`The file at messages[${index}] is given by file id only; Anthropic needs the PDF's bytes (file_data).`, `messages[${index}]`);
  }
  return {
    type: 'document',
    source: { type: 'base64', media_type: 'application/pdf', data: part.data },
    ...(part.filename ? { title: part.filename } : {}),
  };
}

/**
 * A tool call's JSON arguments → the `input` object of a `tool_use` block. Anthropic needs an
 * object (openapi.json `RequestToolUseBlock.input`); empty arguments (a call without
 * parameters) are `{}`.
 */
function parseArguments(text: string, id: string, index: number): Record<string, unknown> {
  const parsed = parseToolArguments(text);
  if ('object' in parsed) return parsed.object;
  if (parsed.problem === 'not-json') {
    throw invalid(`The arguments of tool call "${id}" at messages[${index}] are not valid JSON; Anthropic needs them as a JSON object.`, `messages[${index}]`);
  }
  throw invalid(`The arguments of tool call "${id}" at messages[${index}] are not a JSON object; Anthropic needs them as one.`, `messages[${index}]`);
}

/**
 * Anthropic tool ids match `^[a-zA-Z0-9_-]+$` (openapi.json `RequestToolUseBlock.id`,
 * `RequestToolResultBlock.tool_use_id`). Ids from Anthropic and OpenAI pass unchanged; another
 * provider's id with other characters is rewritten the same way in the call and its result, so
 * the pair still matches.
 */
export function toolUseId(id: string): string {
  return /^[a-zA-Z0-9_-]+$/.test(id) ? id : id.replace(/[^a-zA-Z0-9_-]/g, '_') || '_';
}

function nonEmptyText(parts: readonly TextPart[]): TextBlock[] {
  return parts.flatMap(textBlocks);
}

/** The breakpoints of the messages being converted (set by `convertMessages`, which is synchronous). */
let budget = new LatestBreakpoints([], maxBreakpoints);

/**
 * A text part as a block (none when empty), with `cache_control` where the caller marked a
 * prompt-caching breakpoint: `ttl: "1h"` when the caller asked for more than Anthropic's default
 * 5 minutes (OpenAI's `30m`, or `cache_control.ttl: "1h"`).
 */
function textBlocks(part: TextPart): TextBlock[] {
  if (part.text === '') return [];
  const block: TextBlock = { type: 'text', text: part.text };
  const mark = part.cacheBreakpoint;
  if (mark !== undefined && budget.take()) block.cache_control = wantsAnHour(mark) ? { type: 'ephemeral', ttl: '1h' } : { type: 'ephemeral' };
  return [block];
}

/** A text block that may go as the string shorthand: one without a breakpoint. */
function isBareText(block: RequestBlock): block is TextBlock {
  return block.type === 'text' && block.cache_control === undefined;
}


function dropName(name: string | undefined, index: number, warnings: Warning[]): void {
  if (name) warnings.push({ type: 'unsupported-setting', setting: `messages[${index}].name`, message: `Anthropic messages have no name; the name at messages[${index}] was not sent` });
}

function invalid(message: string, param: string): GatewayError {
  return new GatewayError('SB_ERR_INVALID_REQUEST', message, { param });
}
