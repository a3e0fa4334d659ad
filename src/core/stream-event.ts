import type { FinishReason, Warning } from './chat-result.ts';
import type { WireFormat } from './chat-request.ts';
import type { GatewayError } from './errors.ts';
import type { ModelInfo } from './model.ts';
import type { Usage } from './usage.ts';

/**
 * The typed events a provider adapter's stream emits, in order:
 * `stream-start`, then content blocks (`text-*`, `reasoning-*`, `tool-input-*`, each
 * start → delta* → end), then exactly one of `finish` or `error`.
 *
 * `native-chunk` events carry an upstream chunk verbatim when the provider speaks the request's
 * own wire format; an ingress in that format writes them through and uses the typed events only
 * for accounting. An upstream failure mid-stream is an `error` event, never a normal `finish`.
 */
export type StreamEvent =
  | StreamStartEvent
  | NativeChunkEvent
  | { type: 'text-start'; id: string }
  | { type: 'text-delta'; id: string; delta: string }
  | { type: 'text-end'; id: string }
  | { type: 'reasoning-start'; id: string }
  | { type: 'reasoning-delta'; id: string; delta: string }
  /** Anthropic's thinking signature, sent back verbatim on later turns. */
  | { type: 'reasoning-signature'; id: string; signature: string }
  /** The block is redacted reasoning (Anthropic's `redacted_thinking`): its opaque data, sent back verbatim too. */
  | { type: 'reasoning-redacted'; id: string; data: string }
  | { type: 'reasoning-end'; id: string }
  | { type: 'refusal-delta'; delta: string }
  /** A tool call begins; `id` is the tool call id the client must echo in its result. */
  | { type: 'tool-input-start'; id: string; toolName: string }
  /** A fragment of the tool call's JSON arguments. */
  | { type: 'tool-input-delta'; id: string; delta: string }
  | { type: 'tool-input-end'; id: string }
  /**
   * Something the caller should know about the answer that came up mid-stream (a malformed
   * upstream event that was skipped): kept in the ledger's warnings, not written to the caller.
   */
  | { type: 'warning'; warning: Warning }
  /**
   * The answer continues from another call (stream resume, src/router/resume-stream.ts): the
   * events that follow carry the rest of the same answer. Native chunks, if the stream had any,
   * stop here: a formatter writing them verbatim switches to the typed events. `spent`: what
   * the calls that broke used so far (their own report, else counted), and `model` the one that
   * continues: what the ledger bills if the stream ends before its finish says it all.
   */
  | ResumeEvent
  | FinishEvent
  | ErrorEvent;

/** The answer continues from another call (see StreamEvent). */
export interface ResumeEvent {
  type: 'resume';
  spent: ReadonlyArray<{ model: ModelInfo; usage: Usage }>;
  model: ModelInfo;
}

/** First event of every stream. */
export interface StreamStartEvent {
  type: 'stream-start';
  id: string;
  /** The model that answers, as the provider reported it. */
  model: string;
  /** Unix seconds. */
  created: number;
  /** Set when `native-chunk` events follow, in this format. */
  nativeFormat?: WireFormat;
  warnings: Warning[];
  /**
   * The prompt's counts (cache reads and writes included) when the provider reports them as the
   * stream starts (Anthropic's `message_start`, Gemini's first chunk): what the call is billed
   * for its prompt even if the stream never finishes. Its output count is an early one.
   */
  inputUsage?: Usage;
}

/** One upstream event, verbatim, for same-format passthrough. */
export interface NativeChunkEvent {
  type: 'native-chunk';
  format: WireFormat;
  /** SSE event name, where the format names events (Anthropic). */
  event?: string;
  /** The event's data text, exactly as received. */
  data: string;
  /**
   * The chunk only exists because Switchboard asked the provider for usage (OpenAI's final
   * usage chunk when the caller did not set `stream_options.include_usage`): not written.
   */
  internal?: boolean;
  /** The chunk carries the stream's usage (OpenAI's final usage chunk). */
  usage?: boolean;
}

/** Last event of a successful stream. */
export interface FinishEvent {
  type: 'finish';
  finishReason: FinishReason;
  rawFinishReason?: string;
  /** The caller's stop sequence that ended the answer, when the provider says which (Anthropic). */
  stopSequence?: string;
  /** Absent when the provider reported none; the ledger then counts tokens itself. */
  usage?: Usage;
  /**
   * Set when several calls made this answer (a resumed stream): each one's model and usage,
   * which `usage` sums. The caller pays for all of them; each is priced at its own model's rates.
   */
  usageByAttempt?: Array<{ model: ModelInfo; usage: Usage }>;
}

/** Last event of a stream that failed. */
export interface ErrorEvent {
  type: 'error';
  error: GatewayError;
  /**
   * What the failed call used, when the provider reported it: a generation that failed in the
   * provider's own hands (Bedrock's malformed_model_output, Gemini's MALFORMED_FUNCTION_CALL,
   * Mistral's and Cohere's finish reason "error") ends with its usage, which it bills. Absent
   * otherwise (a cut connection reports nothing); the ledger then counts what was streamed.
   */
  usage?: Usage;
  /** As on `finish`: set when the stream had resumed on other calls before it failed (their usage and the last one's). */
  usageByAttempt?: Array<{ model: ModelInfo; usage: Usage }>;
}

/** One read of a stream: a chunk, or its end. */
export type ReadResult<T> = { done: false; value: T } | { done: true; value?: undefined };

/**
 * A stream as its one reader sees it: what a web stream's reader does, and all the gateway's own
 * stream stages need (src/streams/event-reader.ts). A ReadableStreamDefaultReader is one.
 */
export interface EventReader<T> {
  /** The next chunk; `done` once the stream ended. Rejects when the stream errored. */
  read(): Promise<ReadResult<T>>;
  /**
   * The next chunk when one is ready now, without waiting; undefined when none is (then `read`).
   * An errored stream answers undefined here and rejects the next `read`. Optional: a web
   * stream's reader has none. Lets a consumer take every event one upstream chunk produced in
   * one turn, with no promise per event at each stage (docs/decisions/0016-synchronous-poll.md).
   */
  poll?(): ReadResult<T> | undefined;
  /** Ends the stream for its reader and cancels its source (closing the upstream call). */
  cancel(reason?: unknown): Promise<void>;
}

/**
 * A stream of events as a provider adapter returns it: a web stream (any adapter can build one),
 * or the gateway's lean reader (what the built-in adapters return; src/streams/event-reader.ts,
 * docs/decisions/0013-lean-streams.md). Its consumer reads either through `readerOf()`.
 */
export type EventStream = ReadableStream<StreamEvent> | EventReader<StreamEvent>;
