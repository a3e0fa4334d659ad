import type { AssistantMessage, ChatMessage, FilePart, ImagePart, TextPart, ToolMessage } from '../../core/chat-request.ts';
import type { Warning } from '../../core/chat-result.ts';
import { GatewayError } from '../../core/errors.ts';
import type { ImageFetcher } from '../../core/http-client.ts';
import { parseToolArguments } from '../_shared/parse-tool-arguments.ts';
import { signatureFromToolCallId } from './tool-call-id.ts';
import type { AbortSignalLike } from '../../core/abort.ts';

/** A content.proto Part as this adapter sends it (one `data` field set, per the proto's oneof). */
export interface RequestPart {
  text?: string;
  thought?: boolean;
  thoughtSignature?: string;
  inlineData?: { mimeType: string; data: string };
  functionCall?: { name: string; args: Record<string, unknown> };
  functionResponse?: { name: string; response: Record<string, unknown> };
}

/** A content.proto Content: Gemini knows only the roles `user` and `model`. */
export interface RequestContent {
  role: 'user' | 'model';
  parts: RequestPart[];
}

/** What converting messages needs besides them. */
export interface MessageContext {
  images: ImageFetcher;
  signal: AbortSignalLike;
  warnings: Warning[];
}

/**
 * Gemini's documented placeholder for a function call that has no signature of its own (history
 * written by another provider): without one, Gemini 3 rejects the turn
 * (ai.google.dev/gemini-api/docs/thought-signatures).
 */
export const placeholderSignature = 'skip_thought_signature_validator';

/**
 * ChatMessages → `systemInstruction` and `contents`. Every system message goes to the one
 * `systemInstruction` (GenerateContentRequest has no system role); assistant turns become role
 * `model`; tool results become `functionResponse` parts of a user turn, named after the call they
 * answer, since FunctionResponse.name is required and the OpenAI format gives only the call id.
 * Adjacent turns of one role are merged, so the responses to parallel calls share one turn.
 */
export async function convertMessages(
  messages: readonly ChatMessage[],
  context: MessageContext,
): Promise<{ systemInstruction?: { parts: RequestPart[] }; contents: RequestContent[] }> {
  const system: RequestPart[] = [];
  const contents: RequestContent[] = [];
  const toolNames = new Map<string, ToolCallSlot>();
  const responseSlots = new Map<RequestPart, number>();
  let conversationStarted = false;
  const push = (role: RequestContent['role'], parts: RequestPart[]) => {
    conversationStarted = true;
    if (parts.length === 0) return;
    const last = contents.at(-1);
    if (last?.role === role) last.parts.push(...parts);
    else contents.push({ role, parts });
  };
  for (const [index, message] of messages.entries()) {
    switch (message.role) {
      case 'system':
        if (conversationStarted) {
          context.warnings.push({ type: 'other', setting: `messages[${index}]`, message: 'Gemini takes one system instruction; a system message from the middle of the conversation was moved into it' });
        }
        system.push(...message.content.map((part) => ({ text: part.text })));
        break;
      case 'user':
        warnName(message.name, index, context.warnings);
        push('user', await Promise.all(message.content.map((part) => convertUserPart(part, index, context))));
        break;
      case 'assistant':
        warnName(message.name, index, context.warnings);
        push('model', convertAssistantMessage(message, index, toolNames, context.warnings));
        break;
      case 'tool':
        push('user', await convertToolMessage(message, index, toolNames, responseSlots, context));
        break;
      default: {
        const exhaustive: never = message;
        return exhaustive;
      }
    }
  }
  if (responseSlots.size > 1) orderFunctionResponses(contents, responseSlots);
  addPlaceholderSignatures(contents, context.warnings);
  return { ...(system.length ? { systemInstruction: { parts: system } } : {}), contents };
}

function warnName(name: string | undefined, index: number, warnings: Warning[]): void {
  if (name) warnings.push({ type: 'unsupported-setting', setting: `messages[${index}].name`, message: 'Gemini has no participant names; the name was not sent' });
}

async function convertUserPart(part: TextPart | ImagePart | FilePart, index: number, context: MessageContext): Promise<RequestPart> {
  switch (part.type) {
    case 'text':
      return { text: part.text };
    case 'image':
      if (part.detail === 'low' || part.detail === 'high') {
        context.warnings.push({ type: 'unsupported-setting', setting: `messages[${index}].image_url.detail`, message: `Gemini has no image detail setting; detail "${part.detail}" was not sent` });
      }
      return { inlineData: await imageData(part.url, context) };
    case 'file':
      if (part.data === undefined) {
        throw new GatewayError('SB_ERR_INVALID_REQUEST', 'Gemini cannot read another provider\'s file ids; send the file inline (base64 file_data).', {
          param: `messages[${index}].content`,
        });
      }
      return { inlineData: { mimeType: part.mediaType, data: part.data } };
    default: {
      const exhaustive: never = part;
      return exhaustive;
    }
  }
}

// `data:<mime>;base64,<bytes>`: the bytes are already what Blob.data wants (content.proto Blob).
const base64DataUrl = /^data:([^;,]+)(?:;[^;,]+)*;base64,(.*)$/s;

/** An image as content.proto Blob: data URLs as they are, anything else fetched (https only, size-limited). */
async function imageData(url: string, context: MessageContext): Promise<{ mimeType: string; data: string }> {
  const inline = base64DataUrl.exec(url);
  if (inline) return { mimeType: inline[1]!, data: inline[2]! };
  const fetched = await context.images.fetch(url, context.signal);
  return { mimeType: fetched.mediaType, data: Buffer.from(fetched.data).toString('base64') };
}

function convertAssistantMessage(message: AssistantMessage, index: number, toolNames: Map<string, ToolCallSlot>, warnings: Warning[]): RequestPart[] {
  const parts: RequestPart[] = [];
  // A reasoning part with a signature and no text stands for the signature of the text part
  // before it (convert-response.ts), or of the next part when it comes first.
  let pendingSignature: string | undefined;
  const add = (part: RequestPart) => {
    if (pendingSignature !== undefined && part.thoughtSignature === undefined) part.thoughtSignature = pendingSignature;
    pendingSignature = undefined;
    parts.push(part);
  };
  for (const part of message.content) {
    switch (part.type) {
      case 'text':
        add({ text: part.text });
        break;
      case 'reasoning':
        if (part.redacted !== undefined) {
          warnings.push({ type: 'dropped-setting', setting: `messages[${index}].reasoning`, message: 'Gemini cannot take redacted reasoning from another provider; it was left out' });
        }
        if (part.text !== '') add({ text: part.text, thought: true, ...(part.signature ? { thoughtSignature: part.signature } : {}) });
        else if (part.signature) attachSignature(parts, part.signature, (signature) => (pendingSignature = signature));
        break;
      case 'tool-call': {
        toolNames.set(part.id, { name: part.name, slot: toolNames.size });
        const signature = signatureFromToolCallId(part.id);
        add({ functionCall: { name: part.name, args: parseArguments(part.arguments, index) }, ...(signature ? { thoughtSignature: signature } : {}) });
        break;
      }
      default: {
        const exhaustive: never = part;
        return exhaustive;
      }
    }
  }
  return parts;
}

function attachSignature(parts: RequestPart[], signature: string, keepForNext: (signature: string) => void): void {
  const previous = parts.at(-1);
  if (previous && previous.thoughtSignature === undefined && previous.text !== undefined && !previous.thought) previous.thoughtSignature = signature;
  else keepForNext(signature);
}

/** FunctionCall.args is a google.protobuf.Struct: the arguments must be a JSON object. */
function parseArguments(text: string, index: number): Record<string, unknown> {
  const parsed = parseToolArguments(text);
  if ('object' in parsed) return parsed.object;
  throw new GatewayError('SB_ERR_INVALID_REQUEST', 'Gemini needs tool call arguments that are a JSON object.', { param: `messages[${index}].tool_calls` });
}

async function convertToolMessage(
  message: ToolMessage,
  index: number,
  toolNames: Map<string, ToolCallSlot>,
  responseSlots: Map<RequestPart, number>,
  context: MessageContext,
): Promise<RequestPart[]> {
  const call = toolNames.get(message.toolCallId);
  if (call === undefined) {
    throw new GatewayError('SB_ERR_INVALID_REQUEST', 'A tool message answers a tool call no earlier assistant message made; Gemini needs the called function\'s name.', {
      param: `messages[${index}].tool_call_id`,
    });
  }
  // One string for functionResponse.response: the parts on lines of their own, not run together
  // (a JSON text followed by another would no longer be JSON).
  const text = message.content.flatMap((part) => (part.type === 'text' ? [part.text] : [])).join('\n');
  // FunctionResponse.response is a Struct; the proto suggests "output", and "error" for failures.
  const response: RequestPart = { functionResponse: { name: call.name, response: message.isError ? { error: text } : { output: text } } };
  responseSlots.set(response, call.slot);
  const parts: RequestPart[] = [response];
  for (const part of message.content) {
    if (part.type === 'image') parts.push({ inlineData: await imageData(part.url, context) });
  }
  return parts;
}

/** Which function a tool call id names, and its place among the calls of the conversation. */
interface ToolCallSlot {
  name: string;
  slot: number;
}

/**
 * OpenAI pairs a tool message with its call by id, in any order; Gemini, sent no ids
 * (docs/providers/gemini.md), pairs a turn's function responses with the calls before it by name
 * and order. So the responses of a turn are put in the order of their calls: answered out of
 * order, two calls of one function would otherwise each get the other's result. Other parts of
 * the turn (a result's images, the user's text) keep their places.
 */
function orderFunctionResponses(contents: RequestContent[], responseSlots: Map<RequestPart, number>): void {
  for (const content of contents) {
    const places = content.parts.flatMap((part, place) => (responseSlots.has(part) ? [place] : []));
    if (places.length < 2) continue;
    const ordered = places.map((place) => content.parts[place]!).sort((left, right) => responseSlots.get(left)! - responseSlots.get(right)!);
    places.forEach((place, index) => (content.parts[place] = ordered[index]!));
  }
}

/**
 * Gemini validates signatures only in the current turn: the model turns after the last user turn
 * that is not just function responses. The first function call of each such turn needs one.
 */
function addPlaceholderSignatures(contents: RequestContent[], warnings: Warning[]): void {
  let turnStart = 0;
  contents.forEach((content, index) => {
    if (content.role === 'user' && content.parts.some((part) => part.functionResponse === undefined)) turnStart = index + 1;
  });
  for (const content of contents.slice(turnStart)) {
    const firstCall = content.role === 'model' ? content.parts.find((part) => part.functionCall !== undefined) : undefined;
    if (firstCall && firstCall.thoughtSignature === undefined) {
      firstCall.thoughtSignature = placeholderSignature;
      warnings.push({
        type: 'other',
        setting: 'thought_signature',
        message: `Tool call "${firstCall.functionCall!.name}" carries no Gemini thought signature; Gemini's documented placeholder was sent, as Gemini 3 rejects a function call of the current turn without one`,
      });
    }
  }
}
