import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
import type { ChatMessage, ChatRequest } from '../core/chat-request.ts';

/**
 * Token counts for routing estimates and for the ledger when a provider reports none. Uses
 * OpenAI's o200k_base encoding for every model: exact for current OpenAI models and within a
 * few percent for others, which is what a budget estimate or a context-window filter needs.
 */

// Text like "<|endoftext|>" in a prompt is counted as text, not rejected as a special token.
const encodeOptions = { disallowedSpecial: new Set<string>() };

/** Per-message framing tokens in OpenAI's chat format. */
const tokensPerMessage = 3;
/** Flat estimate for one image (OpenAI low-detail tile); providers bill images differently. */
const tokensPerImage = 85;

/** Tokens in a text. */
export function countTextTokens(text: string): number {
  if (text.length === 0) return 0;
  return countTokens(text, encodeOptions);
}

/** Estimated prompt tokens of a chat request (messages and tool definitions). */
export function countPromptTokens(request: Pick<ChatRequest, 'messages' | 'tools'>): number {
  let total = 3;
  for (const message of request.messages) total += countMessageTokens(message);
  if (request.tools?.length) total += countTextTokens(JSON.stringify(request.tools));
  return total;
}

function countMessageTokens(message: ChatMessage): number {
  let total = tokensPerMessage;
  for (const part of message.content) {
    switch (part.type) {
      case 'text':
      case 'reasoning':
        total += countTextTokens(part.text);
        break;
      case 'image':
        total += tokensPerImage;
        break;
      case 'file':
        // Files are billed by the provider after its own extraction; count their size roughly.
        total += Math.ceil((part.data?.length ?? 0) / 8);
        break;
      case 'tool-call':
        total += countTextTokens(part.name) + countTextTokens(part.arguments);
        break;
      default: {
        const exhaustive: never = part;
        return exhaustive;
      }
    }
  }
  return total;
}
