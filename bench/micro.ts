import type { Transformer } from 'node:stream/web';
import { parseChatRequest } from '../src/api/openai/parse-chat-request.ts';
import { openAIStreamFormatter } from '../src/api/openai/format-chat-stream.ts';
import type { StreamEvent } from '../src/core/stream-event.ts';
import { decodeServerSentEvents } from '../src/providers/_shared/sse.ts';
import { chunkTransformer } from '../src/providers/openai-compatible/stream.ts';
import { transformReader } from '../src/streams/event-reader.ts';
import { fuse } from '../src/streams/fuse.ts';
import { countPromptTokens } from '../src/tokens/count.ts';
import { compileRules } from '../src/router/rules.ts';
import { LightAbortController } from '../src/core/abort.ts';
import { runGovernanceBenchmarks } from './governance.ts';
import { runLedgerBenchmarks } from './ledger-write.ts';

/** Time per call of the helpers every request runs, in microseconds. */
function measure(label: string, iterations: number, run: () => unknown): void {
  for (let index = 0; index < Math.min(iterations, 1000); index += 1) run();
  const started = performance.now();
  for (let index = 0; index < iterations; index += 1) run();
  const micros = ((performance.now() - started) * 1000) / iterations;
  console.log(label.padEnd(58), `${micros.toFixed(2)} µs`.padStart(12));
}

async function measureAsync(label: string, iterations: number, run: () => Promise<unknown>): Promise<void> {
  for (let index = 0; index < 50; index += 1) await run();
  const started = performance.now();
  for (let index = 0; index < iterations; index += 1) await run();
  console.log(label.padEnd(58), `${(((performance.now() - started) * 1000) / iterations).toFixed(2)} µs`.padStart(12));
}

export async function runMicroBenchmarks(): Promise<void> {
  console.log('\nHot helpers');
  const body = {
    model: 'auto',
    messages: [
      { role: 'system', content: 'You are a helpful assistant.' },
      { role: 'user', content: 'Summarise the following text. '.repeat(40) },
    ],
    tools: [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object', properties: { q: { type: 'string' } } } } }],
    temperature: 0.2,
  };
  measure('parseChatRequest (validate + convert, 2 messages, 1 tool)', 20_000, () => parseChatRequest(body, {}));
  const parsed = parseChatRequest(body, {});
  measure('countPromptTokens (1.2 KB prompt)', 20_000, () => countPromptTokens(parsed));
  const rules = compileRules([{ when: { 'metadata.env': 'staging' }, route: 'x' }, { when: { model: 'gpt-*', team: ['a', 'b'] }, set: { temperature: 0 } }]);
  measure('rules.match (2 rules, no match)', 200_000, () =>
    rules.match({ metadata: { env: 'prod' }, keyId: null, keyName: null, team: null, model: 'auto', header: () => undefined, now: new Date() }),
  );
  const chunk = JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o-mini', choices: [{ index: 0, delta: { content: ' word' }, logprobs: null, finish_reason: null }] });
  const sse = new TextEncoder().encode(`${`data: ${chunk}\n\n`.repeat(200)}data: {"id":"chatcmpl-1","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\ndata: [DONE]\n\n`);
  for (const passthrough of [true, false]) {
    await measureAsync(`stream 200 chunks: SSE → events → OpenAI SSE (${passthrough ? 'passthrough' : 'typed'})`, 300, async () => {
      // As the gateway composes it: decoder and provider events fused, then a stand-in for the
      // usage tap fused with the formatter (src/pipeline.ts).
      const body = new ReadableStream<Uint8Array>({ start: (controller) => (controller.enqueue(sse), controller.close()) });
      const events = transformReader(
        decodeServerSentEvents(body, chunkTransformer({ source: { provider: 'p', redact: (text) => text }, requestedModel: 'm', passthrough, usageChunkInternal: false })),
        fuse({} as Transformer<StreamEvent, StreamEvent>, openAIStreamFormatter(false)),
      );
      for await (const piece of events) void piece;
    });
  }
  // What a request does with its signals (src/core/abort.ts): its own and its call's controller,
  // the call's listener on the request's signal and the upstream call's on the call's, both removed.
  for (const [name, create] of [['AbortController', () => new AbortController()], ['LightAbortController', () => new LightAbortController()]] as const) {
    measure(`request + call signals, 2 listeners added and removed (${name})`, 200_000, () => {
      const request = create();
      const call = create();
      const onRequestAbort = () => call.abort(request.signal.reason);
      const onCallAbort = () => undefined;
      request.signal.addEventListener('abort', onRequestAbort, { once: true });
      call.signal.addEventListener('abort', onCallAbort, { once: true });
      call.signal.removeEventListener('abort', onCallAbort);
      request.signal.removeEventListener('abort', onRequestAbort);
    });
  }
  await runGovernanceBenchmarks();
  await runLedgerBenchmarks(1);
}

