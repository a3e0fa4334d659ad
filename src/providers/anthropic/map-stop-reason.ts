import type { FinishReason } from '../../core/chat-result.ts';

/** openapi.json `StopReason`, plus `model_context_window_exceeded` which newer API versions send. */
type AnthropicStopReason = 'end_turn' | 'stop_sequence' | 'max_tokens' | 'tool_use' | 'refusal' | 'pause_turn' | 'model_context_window_exceeded';

const knownStopReasons: ReadonlySet<string> = new Set<AnthropicStopReason>([
  'end_turn',
  'stop_sequence',
  'max_tokens',
  'tool_use',
  'refusal',
  'pause_turn',
  'model_context_window_exceeded',
]);

/**
 * Anthropic `stop_reason` → unified reason; the raw value is kept beside it by the callers.
 * `pause_turn` (a server tool paused a long turn; the caller is to send the answer back to let
 * it continue) has no unified equivalent, nor has any value this list does not know: `other`.
 */
export function mapStopReason(reason: string | null | undefined): FinishReason {
  if (reason === null || reason === undefined || !knownStopReasons.has(reason)) return 'other';
  const known = reason as AnthropicStopReason;
  switch (known) {
    case 'end_turn':
    case 'stop_sequence':
      return 'stop';
    case 'max_tokens':
      return 'length';
    case 'model_context_window_exceeded':
      // The answer was cut because the context window filled up: a length stop, like max_tokens
      // (Anthropic docs, "Handling stop reasons"; not yet in openapi.json's StopReason enum).
      return 'length';
    case 'tool_use':
      return 'tool-calls';
    case 'refusal':
      return 'content-filter';
    case 'pause_turn':
      return 'other';
    default: {
      const exhaustive: never = known;
      return exhaustive;
    }
  }
}
