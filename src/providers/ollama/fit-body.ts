import type { Warning } from '../../core/chat-result.ts';
import { GatewayError } from '../../core/errors.ts';

/**
 * Fits an OpenAI Chat Completions body to what Ollama's OpenAI-compatible `/v1/chat/completions`
 * reads (docs/api/openai-compatibility.mdx and `ChatCompletionRequest` in openai/openai.go of
 * ollama/ollama; ../shared/specs/ollama/api.md documents only the native /api/chat):
 * - `max_completion_tokens`, the name current openai SDKs send, is not read: it becomes
 *   `max_tokens`, Ollama's limit, which means the same (the limit was ignored);
 * - an earlier turn's thinking is read as `reasoning`, not the `reasoning_content` Switchboard's
 *   answers carry it in: renamed, so it is not lost;
 * - `n` above 1 is a 400 before the call: Ollama answers one choice.
 * Other fields go as they came: Ollama ignores what its version does not read, and newer ones
 * read more (logprobs came later), so none is taken out here. Returns the body to send: the one
 * given when nothing changed (its bytes are then relayed), else a changed copy.
 */
export function checkOllamaBody(body: Record<string, unknown>, _warnings: Warning[]): Record<string, unknown> {
  if (typeof body.n === 'number' && body.n > 1) {
    throw new GatewayError('SB_ERR_INVALID_REQUEST', 'Ollama answers with one choice; n must be 1.', { param: 'n' });
  }
  const limit = body.max_completion_tokens;
  const renamesReasoning = Array.isArray(body.messages) && body.messages.some(carriesReasoningContent);
  if ((limit === undefined || limit === null) && !renamesReasoning) return body;
  const fitted: Record<string, unknown> = { ...body };
  if (limit !== undefined) {
    // The caller's limit: max_completion_tokens wins over max_tokens (src/api/openai/parse-chat-request.ts).
    delete fitted.max_completion_tokens;
    if (limit !== null) fitted.max_tokens = limit;
  }
  if (renamesReasoning) {
    fitted.messages = (body.messages as unknown[]).map((message) => {
      if (!carriesReasoningContent(message)) return message;
      const { reasoning_content: reasoning, ...rest } = message;
      return { ...rest, reasoning };
    });
  }
  return fitted;
}

function carriesReasoningContent(message: unknown): message is Record<string, unknown> & { reasoning_content: unknown } {
  return typeof message === 'object' && message !== null && 'reasoning_content' in message && !('reasoning' in message);
}
