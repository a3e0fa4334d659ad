import type { Transformer } from 'node:stream/web';
import { randomUUID } from 'node:crypto';
import type { StreamEvent } from '../../core/stream-event.ts';
import type { Usage } from '../../core/usage.ts';
import { createIndexedBlocks } from '../_shared/indexed-blocks.ts';
import { createEventJsonReader } from '../_shared/event-json.ts';
import { reportedUsage } from '../_shared/failed-generation.ts';
import type { SseMessage } from '../_shared/sse.ts';
import { errorFromStatus, type UpstreamSource } from '../_shared/upstream-error.ts';
import { convertUsage, mapFinishReason, stopSequenceOf } from './convert-response.ts';
import type { CohereStreamEvent } from './wire-types.ts';

type Controller = TransformStreamDefaultController<StreamEvent>;

/**
 * Cohere Chat v2 stream events (`event: <type>` + `data: {"type": <type>, ...}`, then
 * `data: [DONE]`; https://docs.cohere.com/reference/chat-stream and
 * https://docs.cohere.com/v2/docs/streaming) → StreamEvents:
 * - `message-start` → `stream-start` (the id; Cohere names no model, the called one is used);
 * - `content-start/delta/end` → `text-*`, or `reasoning-*` for `thinking` content;
 * - `tool-plan-delta` → `reasoning-*`: the tool plan is the model's reasoning before it calls
 *   tools, and goes back to Cohere as `tool_plan` on the next turn (convert-request.ts);
 * - `tool-call-start/delta/end` → `tool-input-start/delta/end` (id from `tool-call-start`);
 * - `citation-start/end` have no StreamEvent and are skipped;
 * - `message-end` → `finish` with finish reason and usage, or `error` when it reports ERROR or
 *   TIMEOUT (with `delta.error`): a failed generation never ends like an answer.
 */
export function cohereEventTransformer(options: { source: UpstreamSource; requestedModel: string; stops?: readonly string[] }): Transformer<SseMessage, StreamEvent> {
  let started = false;
  let ended = false;
  const readJson = createEventJsonReader(options.source.provider);
  let planOpen = false;
  /** Open content blocks by `index`. */
  const blocks = createIndexedBlocks();
  /** Tool call ids by `index`, while their block is open. */
  const tools = new Map<number, string>();

  const start = (controller: Controller, id?: string | null) => {
    if (started) return;
    started = true;
    controller.enqueue({ type: 'stream-start', id: id ?? randomUUID(), model: options.requestedModel, created: Math.floor(Date.now() / 1000), warnings: [] });
  };
  const closePlan = (controller: Controller) => {
    if (planOpen) controller.enqueue({ type: 'reasoning-end', id: 'tool-plan' });
    planOpen = false;
  };
  /** `usage`: what a generation that failed in Cohere's hands used (its message-end reports it). */
  const fail = (controller: Controller, status: number, message: string, usage?: Usage) => {
    ended = true;
    controller.enqueue({ type: 'error', error: errorFromStatus(status, options.source, { message }), ...(usage ? { usage } : {}) });
  };

  return {
    transform(message, controller) {
      if (ended || message.data === '[DONE]') return;
      const event = readJson<CohereStreamEvent>(message.data, controller);
      if (event === undefined) return;
      const type = event.type ?? message.event;
      if (!type) {
        // An error body in place of an event.
        fail(controller, 502, event.message ?? 'unreadable stream event');
        return;
      }
      start(controller, type === 'message-start' ? event.id : undefined);
      const index = event.index ?? 0;
      const delta = event.delta?.message;
      switch (type) {
        case 'content-start': {
          closePlan(controller);
          blocks.close(controller, index);
          blocks.open(controller, index, delta?.content?.type === 'thinking' ? 'reasoning' : 'text');
          return;
        }
        case 'content-delta': {
          const content = delta?.content;
          const kind = typeof content?.thinking === 'string' ? 'reasoning' : 'text';
          const piece = kind === 'reasoning' ? content?.thinking : content?.text;
          if (!piece) return;
          closePlan(controller);
          const block = blocks.get(index) ?? blocks.open(controller, index, kind);
          controller.enqueue({ type: block.kind === 'text' ? 'text-delta' : 'reasoning-delta', id: block.id, delta: piece });
          return;
        }
        case 'content-end':
          blocks.close(controller, index);
          return;
        case 'tool-plan-delta': {
          const piece = delta?.tool_plan;
          if (!piece) return;
          if (!planOpen) controller.enqueue({ type: 'reasoning-start', id: 'tool-plan' });
          planOpen = true;
          controller.enqueue({ type: 'reasoning-delta', id: 'tool-plan', delta: piece });
          return;
        }
        case 'tool-call-start': {
          closePlan(controller);
          const call = delta?.tool_calls;
          const id = call?.id ?? `call_${randomUUID().replaceAll('-', '')}`;
          tools.set(index, id);
          controller.enqueue({ type: 'tool-input-start', id, toolName: call?.function?.name ?? '' });
          if (call?.function?.arguments) controller.enqueue({ type: 'tool-input-delta', id, delta: call.function.arguments });
          return;
        }
        case 'tool-call-delta': {
          const id = tools.get(index);
          const piece = delta?.tool_calls?.function?.arguments;
          if (id !== undefined && piece) controller.enqueue({ type: 'tool-input-delta', id, delta: piece });
          return;
        }
        case 'tool-call-end': {
          const id = tools.get(index);
          if (id !== undefined) controller.enqueue({ type: 'tool-input-end', id });
          tools.delete(index);
          return;
        }
        case 'message-end':
          finish(controller, event);
          return;
        default:
          // message-start (handled above), citation-start/end, debug: nothing to emit.
          return;
      }
    },
  };

  function finish(controller: Controller, event: CohereStreamEvent): void {
    const reason = event.delta?.finish_reason ?? undefined;
    const unified = mapFinishReason(reason);
    // Only a usage with counts: one without is no report (convertUsage marks it estimated), and the ledger counts instead.
    const usage = reportedUsage(event.delta?.usage ? convertUsage(event.delta.usage) : undefined);
    if (unified === 'error' || event.delta?.error) {
      fail(controller, reason === 'TIMEOUT' ? 504 : 502, event.delta?.error ?? `the generation ended with finish_reason ${reason ?? 'ERROR'}`, usage);
      return;
    }
    ended = true;
    closePlan(controller);
    blocks.closeAll(controller);
    for (const id of tools.values()) controller.enqueue({ type: 'tool-input-end', id });
    tools.clear();
    controller.enqueue({ type: 'finish', finishReason: unified, ...(reason ? { rawFinishReason: reason } : {}), ...stopSequenceOf(reason, options.stops), ...(usage ? { usage } : {}) });
  }
}
