import type { ChatResult } from '../core/chat-result.ts';
import type { StreamEvent } from '../core/stream-event.ts';

/**
 * Assembles a streamed answer into a ChatResult as its events go by (text, reasoning, refusal,
 * tool calls with their arguments, finish and usage), so a streamed answer can be cached like a
 * plain one. `take()` returns it once the stream finished normally, else undefined.
 */
export class ResultCollector {
  #start: Extract<StreamEvent, { type: 'stream-start' }> | undefined;
  #text = '';
  #reasoning = '';
  #refusal = '';
  readonly #tools = new Map<string, { name: string; arguments: string }>();
  #finish: Extract<StreamEvent, { type: 'finish' }> | undefined;

  add(event: StreamEvent): void {
    switch (event.type) {
      case 'stream-start':
        this.#start = event;
        return;
      case 'text-delta':
        this.#text += event.delta;
        return;
      case 'reasoning-delta':
        this.#reasoning += event.delta;
        return;
      case 'refusal-delta':
        this.#refusal += event.delta;
        return;
      case 'tool-input-start':
        this.#tools.set(event.id, { name: event.toolName, arguments: '' });
        return;
      case 'tool-input-delta': {
        const tool = this.#tools.get(event.id);
        if (tool) tool.arguments += event.delta;
        return;
      }
      case 'finish':
        this.#finish = event;
        return;
      default:
        return;
    }
  }

  take(): ChatResult | undefined {
    if (!this.#start || !this.#finish?.usage) return undefined;
    const content: ChatResult['content'] = [];
    if (this.#reasoning) content.push({ type: 'reasoning', text: this.#reasoning });
    if (this.#text) content.push({ type: 'text', text: this.#text });
    if (this.#refusal) content.push({ type: 'refusal', text: this.#refusal });
    for (const [id, tool] of this.#tools) content.push({ type: 'tool-call', id, name: tool.name, arguments: tool.arguments });
    return {
      id: this.#start.id,
      model: this.#start.model,
      created: this.#start.created,
      content,
      finishReason: this.#finish.finishReason,
      ...(this.#finish.rawFinishReason ? { rawFinishReason: this.#finish.rawFinishReason } : {}),
      usage: this.#finish.usage,
      warnings: this.#start.warnings,
    };
  }
}
