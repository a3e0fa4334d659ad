import type { FinishReason } from '../../core/chat-result.ts';
import type { StreamEvent } from '../../core/stream-event.ts';
import type { Usage } from '../../core/usage.ts';

type Controller = TransformStreamDefaultController<StreamEvent>;

/** How a stream's first choice ended, as its chunks said. */
export interface ChoiceEnd {
  finishReason: FinishReason | undefined;
  rawFinishReason: string | undefined;
  usage: Usage | undefined;
}

/** The block events of an OpenAI-style stream's first choice. */
export interface ChoiceEvents {
  /** Tool call ids in the order their calls started. */
  readonly toolIds: readonly string[];
  reasoningDelta(controller: Controller, delta: string): void;
  textDelta(controller: Controller, delta: string): void;
  toolStart(controller: Controller, id: string, toolName: string): void;
  /** Closes every open block, then emits `finish` (`other` when no finish reason came). */
  finish(controller: Controller, end: ChoiceEnd): void;
}

/**
 * The first choice of a Chat Completions-style stream has one reasoning block (`reasoning-0`)
 * and one text block (`text-0`), each opened by its first delta; text closes the reasoning
 * block, and a tool call closes both. Tool call blocks stay open until `finish`.
 */
export function createChoiceEvents(): ChoiceEvents {
  let textOpen = false;
  let reasoningOpen = false;
  const toolIds: string[] = [];

  const closeText = (controller: Controller) => {
    if (reasoningOpen) controller.enqueue({ type: 'reasoning-end', id: 'reasoning-0' });
    if (textOpen) controller.enqueue({ type: 'text-end', id: 'text-0' });
    reasoningOpen = false;
    textOpen = false;
  };

  return {
    toolIds,
    reasoningDelta(controller, delta) {
      if (!reasoningOpen) controller.enqueue({ type: 'reasoning-start', id: 'reasoning-0' });
      reasoningOpen = true;
      controller.enqueue({ type: 'reasoning-delta', id: 'reasoning-0', delta });
    },
    textDelta(controller, delta) {
      if (reasoningOpen) controller.enqueue({ type: 'reasoning-end', id: 'reasoning-0' });
      reasoningOpen = false;
      if (!textOpen) controller.enqueue({ type: 'text-start', id: 'text-0' });
      textOpen = true;
      controller.enqueue({ type: 'text-delta', id: 'text-0', delta });
    },
    toolStart(controller, id, toolName) {
      closeText(controller);
      toolIds.push(id);
      controller.enqueue({ type: 'tool-input-start', id, toolName });
    },
    finish(controller, { finishReason, rawFinishReason, usage }) {
      closeText(controller);
      for (const id of toolIds) controller.enqueue({ type: 'tool-input-end', id });
      controller.enqueue({
        type: 'finish',
        finishReason: finishReason ?? 'other',
        ...(rawFinishReason ? { rawFinishReason } : {}),
        ...(usage ? { usage } : {}),
      });
    },
  };
}
