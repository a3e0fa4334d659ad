import type { ReasoningPart, TextPart, ToolCallPart, WireFormat } from './chat-request.ts';
import type { Usage } from './usage.ts';

/**
 * Why generation stopped, unified across providers. The provider's own value is kept beside it
 * as `rawFinishReason`.
 */
export type FinishReason = 'stop' | 'length' | 'tool-calls' | 'content-filter' | 'error' | 'other';

/** A refusal the model returned instead of an answer (OpenAI `refusal`). */
export interface RefusalPart {
  type: 'refusal';
  text: string;
}

/** Something the adapter could not honour exactly, recorded with the ledger row. */
export interface Warning {
  type: 'unsupported-setting' | 'dropped-setting' | 'other';
  setting?: string;
  message: string;
}

/** A complete (non-streamed) answer. */
export interface ChatResult {
  /** The provider's response id (or one Switchboard made when the provider gives none). */
  id: string;
  /** The model that answered, as the provider reported it. */
  model: string;
  /** Unix seconds. */
  created: number;
  content: Array<TextPart | ToolCallPart | ReasoningPart | RefusalPart>;
  finishReason: FinishReason;
  rawFinishReason?: string;
  /** The caller's stop sequence that ended the answer, when the provider says which (Anthropic). */
  stopSequence?: string;
  usage: Usage;
  warnings: Warning[];
  /**
   * The provider's body as received, when its format equals the request's native format: the
   * ingress returns it unchanged instead of re-serialising the parsed answer.
   */
  native?: { format: WireFormat; body: string };
}
