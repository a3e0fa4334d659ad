import { createHash } from 'node:crypto';
import type { AssistantMessage, ChatMessage, FilePart, ImagePart, TextPart, ToolMessage } from '../../core/chat-request.ts';
import type { Warning } from '../../core/chat-result.ts';
import { GatewayError } from '../../core/errors.ts';
import type { ImageFetcher } from '../../core/http-client.ts';
import { parseToolArguments } from '../_shared/parse-tool-arguments.ts';
import type { ContentBlock, ConverseMessage, ImageFormat, SystemBlock, ToolResultContent } from './wire-types.ts';
import type { AbortSignalLike } from '../../core/abort.ts';
import type { CachePoints } from './prompt-cache.ts';

/** What converting messages needs besides them. */
export interface MessageContext {
  images: ImageFetcher;
  signal: AbortSignalLike;
  warnings: Warning[];
  /** Where the caller's prompt-caching breakpoints go (prompt-cache.ts); none are sent without it. */
  cachePoints?: CachePoints;
}

/** The converted conversation. */
export interface ConvertedMessages {
  system: SystemBlock[];
  messages: ConverseMessage[];
}

/**
 * ChatMessages → Converse `system` and `messages`. Converse has one system list and the roles
 * `user` and `assistant` only, which must alternate (API_runtime_Message.html): system messages
 * go to `system`; tool results become `toolResult` blocks of a user turn; adjacent turns of one
 * role are merged, so the results of parallel calls (and text after them) share one turn.
 * Empty text parts are left out: Bedrock rejects blank text blocks. A text part marked as a
 * prompt-caching breakpoint is followed by a `cachePoint` block (prompt-cache.ts), in `system` as
 * in a turn; one on a tool result follows its `toolResult` block, which cannot hold one.
 */
export async function convertMessages(input: readonly ChatMessage[], context: MessageContext): Promise<ConvertedMessages> {
  const system: SystemBlock[] = [];
  const messages: ConverseMessage[] = [];
  const push = (role: ConverseMessage['role'], content: ContentBlock[]) => {
    if (content.length === 0) return;
    const last = messages.at(-1);
    if (last?.role === role) last.content.push(...content);
    else messages.push({ role, content });
  };
  for (const [index, message] of input.entries()) {
    switch (message.role) {
      case 'system':
        if (messages.length > 0) {
          context.warnings.push({ type: 'other', setting: `messages[${index}]`, message: 'Bedrock takes the system prompt apart from the conversation; a system message from the middle of it was moved to the system prompt' });
        }
        for (const part of message.content) {
          if (part.text === '') continue;
          system.push({ text: part.text });
          const point = context.cachePoints?.after(part.cacheBreakpoint);
          if (point) system.push(point);
        }
        break;
      case 'user': {
        warnName(message.name, index, context.warnings);
        const parts = message.content.filter(notEmptyText);
        const blocks = await Promise.all(parts.map((part) => convertUserPart(part, index, context)));
        push('user', withCachePoints(parts, blocks, context.cachePoints));
        break;
      }
      case 'assistant': {
        warnName(message.name, index, context.warnings);
        push('assistant', convertAssistantMessage(message, index, context.warnings, context.cachePoints));
        break;
      }
      case 'tool': {
        const result: ContentBlock[] = [await convertToolMessage(message, index, context)];
        // Every marked part counts toward the four; one point after the result stands for them.
        let point: ContentBlock | undefined;
        for (const part of message.content) if (part.type === 'text' && part.text !== '') point = context.cachePoints?.after(part.cacheBreakpoint) ?? point;
        if (point) result.push(point);
        push('user', result);
        break;
      }
      default: {
        const exhaustive: never = message;
        return exhaustive;
      }
    }
  }
  return { system, messages };
}

function notEmptyText(part: TextPart | ImagePart | FilePart): boolean {
  return part.type !== 'text' || part.text !== '';
}

/** A turn's blocks, each marked text part's followed by its cache point. */
function withCachePoints(parts: ReadonlyArray<TextPart | ImagePart | FilePart>, blocks: ContentBlock[], cachePoints: CachePoints | undefined): ContentBlock[] {
  if (cachePoints === undefined) return blocks;
  const content: ContentBlock[] = [];
  blocks.forEach((block, index) => {
    content.push(block);
    const part = parts[index]!;
    const point = part.type === 'text' ? cachePoints.after(part.cacheBreakpoint) : undefined;
    if (point) content.push(point);
  });
  return content;
}

function warnName(name: string | undefined, index: number, warnings: Warning[]): void {
  if (name) warnings.push({ type: 'unsupported-setting', setting: `messages[${index}].name`, message: 'Bedrock has no participant names; the name was not sent' });
}

async function convertUserPart(part: TextPart | ImagePart | FilePart, index: number, context: MessageContext): Promise<ContentBlock> {
  switch (part.type) {
    case 'text':
      return { text: part.text };
    case 'image':
      if (part.detail === 'low' || part.detail === 'high') {
        context.warnings.push({ type: 'unsupported-setting', setting: `messages[${index}].image_url.detail`, message: `Bedrock's Converse API has no image detail setting; detail "${part.detail}" was not sent` });
      }
      return { image: await imageBlock(part.url, index, context) };
    case 'file':
      return convertFile(part, index);
    default: {
      const exhaustive: never = part;
      return exhaustive;
    }
  }
}

/** ImageBlock.format by media type (enums.ts `ImageFormat`: png, jpeg, gif, webp). */
const imageFormats: Readonly<Record<string, ImageFormat>> = {
  'image/png': 'png',
  'image/jpeg': 'jpeg',
  'image/jpg': 'jpeg',
  'image/gif': 'gif',
  'image/webp': 'webp',
};

/** DocumentBlock.format by media type (enums.ts `DocumentFormat`). */
const documentFormats: Readonly<Record<string, string>> = {
  'application/pdf': 'pdf',
  'text/csv': 'csv',
  'application/msword': 'doc',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'docx',
  'application/vnd.ms-excel': 'xls',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 'xlsx',
  'text/html': 'html',
  'text/plain': 'txt',
  'text/markdown': 'md',
};

// `data:<mime>;base64,<bytes>`: the base64 is what the JSON protocol sends for a blob.
const base64DataUrl = /^data:([^;,]+)(?:;[^;,]+)*;base64,(.*)$/s;

/** An image as ImageBlock: data URLs decoded, https URLs fetched (size limit, timeout). */
async function imageBlock(url: string, index: number, context: MessageContext): Promise<{ format: ImageFormat; source: { bytes: string } }> {
  const inline = base64DataUrl.exec(url);
  const image = inline
    ? { mediaType: inline[1]!.toLowerCase(), bytes: inline[2]! }
    : await context.images.fetch(url, context.signal).then((fetched) => ({ mediaType: fetched.mediaType.toLowerCase(), bytes: Buffer.from(fetched.data).toString('base64') }));
  const format = imageFormats[image.mediaType.split(';')[0]!.trim()];
  if (!format) {
    throw new GatewayError('SB_ERR_INVALID_REQUEST', `Bedrock takes PNG, JPEG, GIF and WebP images; ${image.mediaType} is not supported by this model's provider.`, {
      param: `messages[${index}].content`,
    });
  }
  return { format, source: { bytes: image.bytes } };
}

function convertFile(part: FilePart, index: number): ContentBlock {
  const param = `messages[${index}].content`;
  if (part.data === undefined) {
    throw new GatewayError('SB_ERR_INVALID_REQUEST', "Bedrock cannot read another provider's file ids; send the file inline (base64 file_data).", { param });
  }
  const imageFormat = imageFormats[part.mediaType];
  if (imageFormat) return { image: { format: imageFormat, source: { bytes: part.data } } };
  const format = documentFormats[part.mediaType];
  if (!format) {
    throw new GatewayError('SB_ERR_INVALID_REQUEST', `Bedrock takes images and documents (pdf, csv, doc, docx, xls, xlsx, html, txt, md); ${part.mediaType} is not supported by this model's provider.`, { param });
  }
  return { document: { format, name: documentName(part.filename, index), source: { bytes: part.data } } };
}

/**
 * DocumentBlock.name allows letters, digits, single spaces, hyphens, parentheses and square
 * brackets only (API_runtime_DocumentBlock.html): other characters (the extension's dot) become
 * hyphens.
 */
function documentName(filename: string | undefined, index: number): string {
  const cleaned = (filename ?? '').replace(/[^A-Za-z0-9\s\-()[\]]/g, '-').replace(/\s+/g, ' ').trim().slice(0, 200);
  return cleaned === '' ? `document-${index}` : cleaned;
}

function convertAssistantMessage(message: AssistantMessage, index: number, warnings: Warning[], cachePoints: CachePoints | undefined): ContentBlock[] {
  const content: ContentBlock[] = [];
  for (const part of message.content) {
    switch (part.type) {
      case 'text': {
        if (part.text === '') break;
        content.push({ text: part.text });
        const point = cachePoints?.after(part.cacheBreakpoint);
        if (point) content.push(point);
        break;
      }
      case 'tool-call':
        content.push({ toolUse: { toolUseId: toolUseId(part.id), name: part.name, input: parseArguments(part.arguments, index) } });
        break;
      case 'reasoning':
        if (part.redacted !== undefined) content.push({ reasoningContent: { redactedContent: part.redacted } });
        else if (part.signature !== undefined) content.push({ reasoningContent: { reasoningText: { text: part.text, signature: part.signature } } });
        else if (part.text !== '') {
          // Claude on Bedrock rejects reasoning without its signature; other models cannot use it.
          warnings.push({ type: 'dropped-setting', setting: `messages[${index}].reasoning`, message: 'Reasoning without a signature (from another provider) cannot be sent to Bedrock; it was left out' });
        }
        break;
      default: {
        const exhaustive: never = part;
        return exhaustive;
      }
    }
  }
  return content;
}

/** ToolUseBlock.input is a JSON document the model's schema describes: an object. */
function parseArguments(text: string, index: number): Record<string, unknown> {
  const parsed = parseToolArguments(text);
  if ('object' in parsed) return parsed.object;
  throw new GatewayError('SB_ERR_INVALID_REQUEST', 'Bedrock needs tool call arguments that are a JSON object.', { param: `messages[${index}].tool_calls` });
}

/**
 * A tool message → a `toolResult` block. Bedrock refuses blank text there as in a turn ("text
 * content blocks must be non-empty", NousResearch/hermes-agent#55093), so empty text parts (a
 * tool that printed nothing) are left out: the result's content is then empty, which Bedrock
 * takes, except with `status: "error"` ("The content field at messages.N.content.0.toolResult
 * cannot be empty when status value is error", aws-samples/sample-multi-agent-orchestration-chat-on-agentcore#15).
 * An empty failed result is sent without its status, with a warning.
 */
async function convertToolMessage(message: ToolMessage, index: number, context: MessageContext): Promise<ContentBlock> {
  const content: ToolResultContent[] = [];
  for (const part of message.content) {
    if (part.type === 'text') {
      if (part.text !== '') content.push({ text: part.text });
    } else content.push({ image: await imageBlock(part.url, index, context) });
  }
  let failed = message.isError === true;
  if (failed && content.length === 0) {
    failed = false;
    context.warnings.push({ type: 'dropped-setting', setting: `messages[${index}].is_error`, message: 'Bedrock refuses an empty tool result marked as an error; it was sent without the error status' });
  }
  return { toolResult: { toolUseId: toolUseId(message.toolCallId), content, ...(failed ? { status: 'error' as const } : {}) } };
}

// ToolUseBlock.toolUseId: 1-64 characters of [a-zA-Z0-9_-] (API_runtime_ToolUseBlock.html).
const validToolUseId = /^[a-zA-Z0-9_-]{1,64}$/;

/**
 * A tool call id as Bedrock accepts it. Ids from other providers that do not fit the pattern
 * are replaced by a hash of themselves; the call and its result map to the same id, so they
 * stay paired.
 */
export function toolUseId(id: string): string {
  return validToolUseId.test(id) ? id : `tooluse_${createHash('sha256').update(id).digest('hex').slice(0, 40)}`;
}
