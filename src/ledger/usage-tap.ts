import type { Transformer } from 'node:stream/web';
import type { ChatRequest } from '../core/chat-request.ts';
import { GatewayError, toGatewayError } from '../core/errors.ts';
import type { ModelInfo } from '../core/model.ts';
import type { StreamEvent } from '../core/stream-event.ts';
import { promptAsReported, sumUsage, type Usage } from '../core/usage.ts';
import { countPromptTokens } from '../tokens/count.ts';
import { StreamedText } from '../tokens/streamed-text.ts';
import type { RequestRecord } from './request-record.ts';

/** What else a tap may do with a stream it reads. */
export interface UsageTapOptions {
  /** Sees every event (the response cache assembles the answer with it). */
  observe?: (event: StreamEvent) => void;
  /** Called once the stream finished normally. */
  onFinish?: () => void;
  /** The answer cost nothing (a cache hit): record zero tokens whatever the events say. */
  free?: boolean;
}

/**
 * Reads a stream's events on their way to the caller, without copying them: marks the first
 * token, keeps the streamed text (for counting when the provider reports no usage), and
 * finishes the request's record on `finish`, on `error`, or when the caller goes away
 * (`clientClosed`), with the tokens actually streamed.
 */
export class UsageTap {
  /** The tap as a stream stage, to fuse with the formatter after it (src/streams/fuse.ts). */
  readonly transformer: Transformer<StreamEvent, StreamEvent>;
  readonly #record: RequestRecord;
  readonly #request: ChatRequest;
  /** The prompt's usage as the provider reported it when the stream started, if it did. */
  #inputUsage: Usage | undefined;
  /** Streamed text, for counting when the provider reports no usage. */
  readonly #output = new StreamedText();
  /**
   * After a resume (src/router/resume-stream.ts): what the calls that broke used, the call that
   * continues, and the output tokens streamed before it (its prompt's prefix).
   */
  #resumed: { spent: ReadonlyArray<{ model: ModelInfo; usage: Usage }>; model: ModelInfo; prefixTokens: number } | undefined;
  /** A normal finish whose row the ledger's journal has not written yet, and who waits for it. */
  #unjournaled = false;
  #waiting: (() => void) | undefined;

  constructor(record: RequestRecord, request: ChatRequest, options: UsageTapOptions = {}) {
    this.#record = record;
    this.#request = request;
    this.transformer = {
      transform: (event, controller) => {
        options.observe?.(event);
        switch (event.type) {
          case 'text-delta':
          case 'reasoning-delta':
          case 'refusal-delta':
          case 'tool-input-delta':
            this.#record.markFirstToken();
            this.#output.add(event.delta);
            break;
          case 'tool-input-start':
            this.#record.markFirstToken();
            this.#output.add(event.toolName);
            break;
          case 'stream-start':
            this.#record.warnings.push(...event.warnings);
            if (event.inputUsage) this.#inputUsage = event.inputUsage;
            break;
          case 'warning':
            this.#record.warnings.push(event.warning);
            return;
          case 'resume':
            this.#resumed = { spent: event.spent, model: event.model, prefixTokens: this.#output.tokens() };
            break;
          case 'finish': {
            this.#record.markFirstToken();
            const usage = event.usage ?? this.#estimate();
            this.#record.usage = options.free ? { inputTokens: 0, outputTokens: 0 } : usage;
            if (!options.free && event.usageByAttempt) this.#record.usageByAttempt = event.usageByAttempt;
            controller.enqueue(event.usage ? event : { ...event, usage });
            this.#unjournaled = true;
            this.#record.finishThen('ok', 200, this.#onJournaled);
            options.onFinish?.();
            return;
          }
          case 'error':
            // The provider's own count when the failed call reported one (a failed generation).
            this.#record.usage = event.usage ?? this.#estimate();
            if (event.usageByAttempt) this.#record.usageByAttempt = event.usageByAttempt;
            this.#record.finish('error', 200, event.error);
            break;
          default:
            break;
        }
        controller.enqueue(event);
      },
      flush: () => {
        if (!this.#record.finished) {
          this.#recordEstimate();
          this.#record.finish('error', 200, new GatewayError('SB_ERR_STREAM_INTERRUPTED', 'The stream ended without finishing'));
        }
      },
    };
  }

  readonly #onJournaled = (): void => {
    this.#unjournaled = false;
    this.#waiting?.();
  };

  /**
   * Resolves once the row of a stream that finished normally is in the ledger's journal, which
   * may be at the end of this turn (src/ledger/writer.ts); undefined when there is nothing to
   * wait for (written already, or the record finished another way, written at once).
   */
  journaled(): Promise<void> | undefined {
    if (!this.#unjournaled) return undefined;
    return new Promise((resolve) => (this.#waiting = resolve));
  }

  /** The stream failed outside its events (a fault of ours): recorded as an error with what was streamed. */
  failed(error: unknown): void {
    if (this.#record.finished) return;
    this.#recordEstimate();
    this.#record.finish('error', 200, toGatewayError(error));
  }

  /** The caller disconnected mid-stream: record what was streamed so far. */
  clientClosed(): void {
    if (this.#record.finished) return;
    this.#recordEstimate();
    this.#record.finish('client_aborted', 499, new GatewayError('SB_ERR_CLIENT_CLOSED', 'The client closed the connection mid-stream'));
  }

  /**
   * The record's usage when the stream ends without an event that says it: counted, and after a
   * resume each call's part (the ones that broke as the resume said, the last one counted on its
   * prompt with the prefix it was sent), each priced at its own model's rates.
   */
  #recordEstimate(): void {
    const resumed = this.#resumed;
    if (resumed === undefined) {
      this.#record.usage = this.#estimate();
      return;
    }
    const last = { inputTokens: countPromptTokens(this.#request) + resumed.prefixTokens, outputTokens: Math.max(0, this.#output.tokens() - resumed.prefixTokens), estimated: true };
    const parts = [...resumed.spent, { model: resumed.model, usage: last }];
    this.#record.usage = sumUsage(parts);
    this.#record.usageByAttempt = parts;
  }

  /**
   * Counted usage when the provider reported none, bounded in time and memory however much was
   * streamed (StreamedText).
   */
  #estimate(): Usage {
    const reported = this.#inputUsage;
    const output = this.#output.tokens();
    if (reported === undefined) return { inputTokens: countPromptTokens(this.#request), outputTokens: output, estimated: true };
    return promptAsReported(reported, output);
  }
}
