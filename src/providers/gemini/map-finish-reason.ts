import type { FinishReason } from '../../core/chat-result.ts';

/**
 * Gemini's Candidate.FinishReason (generative_service.proto) → unified reason. STOP becomes
 * `tool-calls` when the answer holds function calls: Gemini has no finish reason of its own for
 * them (examples/streaming-success-thinking-function-call-thought-summary-signature.txt ends in
 * STOP after a functionCall).
 */
export function mapFinishReason(reason: string, hasToolCalls: boolean): FinishReason {
  switch (reason) {
    case 'STOP':
      return hasToolCalls ? 'tool-calls' : 'stop';
    case 'MAX_TOKENS':
      return 'length';
    case 'SAFETY':
    case 'RECITATION':
    case 'BLOCKLIST':
    case 'PROHIBITED_CONTENT':
    case 'SPII':
    case 'IMAGE_SAFETY':
    case 'IMAGE_PROHIBITED_CONTENT':
    case 'IMAGE_RECITATION':
      return 'content-filter';
    default:
      // LANGUAGE, OTHER, MALFORMED_FUNCTION_CALL, UNEXPECTED_TOOL_CALL, TOO_MANY_TOOL_CALLS, ...:
      // the raw value is kept beside it.
      return 'other';
  }
}
