import type { Transformer } from 'node:stream/web';
import type { StreamEvent } from '../../core/stream-event.ts';
import { formatOpenAIError } from './format-error.ts';
import { openAIFinishReason, openAIUsage } from './format-chat-response.ts';

/**
 * StreamEvents → OpenAI `chat.completion.chunk` SSE text, one write per event. When the
 * provider speaks OpenAI (`stream-start.nativeFormat`), its chunks are written verbatim and the
 * typed events are only read for accounting; otherwise chunks are built from the events.
 * With `includeUsage`, a usage chunk comes before `[DONE]`: the provider's, else one built from
 * the finish event. A stream ends with `data: [DONE]` after `finish`, or with an error chunk (no
 * [DONE]) after `error`, which the official SDKs raise as an APIError. A resumed stream (`resume`)
 * goes on in typed chunks after the verbatim ones.
 */
export function openAIStreamFormatter(includeUsage: boolean): Transformer<StreamEvent, string> {
  let native = false;
  /** A verbatim chunk with the usage was written. */
  let usageWritten = false;
  let base = { id: '', object: 'chat.completion.chunk', created: 0, model: '' };
  const toolIndexes = new Map<string, number>();

  // The chunk's fields written out, not `{ ...base, choices }`: once per event, and on Node 20
  // (V8 11.3) a literal that spreads an object and adds properties takes a slow path and is freed
  // only by a major collection (docs/performance.md, eleventh session).
  const chunk = (delta: Record<string, unknown>, finishReason: string | null = null) =>
    `data: ${JSON.stringify({ id: base.id, object: base.object, created: base.created, model: base.model, choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }] })}\n\n`;

  return {
    transform(event, controller) {
      switch (event.type) {
        case 'stream-start':
          native = event.nativeFormat === 'openai-chat';
          base = { id: event.id, object: 'chat.completion.chunk', created: event.created, model: event.model };
          if (!native) controller.enqueue(chunk({ role: 'assistant', content: '' }));
          return;
        case 'native-chunk':
          if (native && event.format === 'openai-chat' && !event.internal) {
            controller.enqueue(`data: ${event.data}\n\n`);
            if (event.usage) usageWritten = true;
          }
          return;
        case 'resume':
          // The answer goes on from another call, in typed events only (src/router/resume-stream.ts):
          // chunks built from them continue the verbatim ones under the same id.
          native = false;
          return;
        case 'error':
          controller.enqueue(`data: ${JSON.stringify(formatOpenAIError(event.error))}\n\n`);
          return;
        case 'finish':
          if (!native) controller.enqueue(chunk({}, openAIFinishReason(event.finishReason)));
          // Asked for, the usage chunk ends the stream even when the provider sent none (a server
          // that ignores stream_options, a stream cut after its finish): then with our count.
          if (includeUsage && event.usage && !usageWritten) controller.enqueue(`data: ${JSON.stringify({ id: base.id, object: base.object, created: base.created, model: base.model, choices: [], usage: openAIUsage(event.usage) })}\n\n`);
          controller.enqueue('data: [DONE]\n\n');
          return;
        default:
          if (!native) writeTyped(event, controller);
      }
    },
  };

  function writeTyped(event: StreamEvent, controller: TransformStreamDefaultController<string>): void {
    switch (event.type) {
      case 'text-delta':
        controller.enqueue(chunk({ content: event.delta }));
        return;
      case 'reasoning-delta':
        controller.enqueue(chunk({ reasoning_content: event.delta }));
        return;
      case 'refusal-delta':
        controller.enqueue(chunk({ refusal: event.delta }));
        return;
      case 'tool-input-start': {
        const index = toolIndexes.size;
        toolIndexes.set(event.id, index);
        controller.enqueue(chunk({ tool_calls: [{ index, id: event.id, type: 'function', function: { name: event.toolName, arguments: '' } }] }));
        return;
      }
      case 'tool-input-delta':
        controller.enqueue(chunk({ tool_calls: [{ index: toolIndexes.get(event.id) ?? 0, function: { arguments: event.delta } }] }));
        return;
      default:
        // Block boundaries (start/end) and signatures have no OpenAI chunk of their own.
        return;
    }
  }
}
