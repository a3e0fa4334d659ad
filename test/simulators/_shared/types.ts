import type { IncomingMessage } from 'node:http';

/**
 * A failure to inject into the next matching request, as the OpenAI, Mistral, Cohere and Gemini
 * simulators take it. Anthropic adds an error type to `stream-error`; Bedrock words a few in
 * AWS's terms (anthropic/server.ts and bedrock/server.ts).
 */
export type Fault =
  /** Answer this status; the body defaults to the protocol's error body for it. */
  | { kind: 'status'; status: number; body?: unknown; headers?: Record<string, string> }
  /** Accept the request and never answer. */
  | { kind: 'hang' }
  /** Destroy the connection without answering. */
  | { kind: 'reset' }
  /** Answer normally after a delay before the first byte. */
  | { kind: 'slow'; delayMs: number }
  /** Stream `afterChunks` chunks, then destroy the connection. */
  | { kind: 'cut-stream'; afterChunks: number }
  /** Stream `afterChunks` chunks, then the protocol's in-band error event. */
  | { kind: 'stream-error'; afterChunks: number; message?: string }
  /**
   * Stream `afterChunks` chunks, then end the body cleanly without the rest or the end marker:
   * a server that stops early, or one that sends no usage chunk.
   */
  | { kind: 'end-stream'; afterChunks: number }
  /**
   * Stream `afterChunks` chunks, then send nothing for `ms` (then go on), or until the connection
   * closes; with `keepAliveEveryMs`, only the protocol's keep-alive (Anthropic's `ping` event, an
   * SSE comment line) that often meanwhile: a provider still working, not a stalled one.
   */
  | { kind: 'stall'; afterChunks: number; ms?: number; keepAliveEveryMs?: number }
  /** Stream `afterChunks` chunks, then one event whose data is not valid JSON, then the rest. */
  | { kind: 'invalid-event'; afterChunks: number }
  /** A 200 whose body is not JSON. */
  | { kind: 'invalid-json' };

/**
 * What test/simulators/_shared/base-simulator.ts reads of any simulator's faults: their kinds,
 * the slow delay, a status's headers and body, and where a stream fault strikes (`afterChunks`,
 * or Bedrock's `afterFrames`). Protocol fields beyond these are the simulator's to read.
 */
export type FaultShape =
  | { kind: 'status'; status: number; body?: unknown; headers?: Record<string, string> }
  | { kind: 'hang' }
  | { kind: 'reset' }
  | { kind: 'slow'; delayMs: number }
  | { kind: 'invalid-json' }
  | { kind: 'cut-stream' | 'stream-error' | 'end-stream'; afterChunks: number }
  | { kind: 'cut-stream' | 'stream-error'; afterFrames: number }
  | { kind: 'stall'; afterChunks: number; ms?: number; keepAliveEveryMs?: number }
  | { kind: 'invalid-event'; afterChunks: number };

/** A request as a simulator received it. */
export interface ReceivedRequest {
  method: string;
  /** The path as sent (percent-encoding kept). */
  path: string;
  /**
   * The query string, `?` included ('' when none): Gemini's `alt=sse`, and the proof that no
   * `?key=` was sent.
   */
  query: string;
  headers: IncomingMessage['headers'];
  /** The JSON body; undefined when empty or not JSON. */
  body: Record<string, unknown> | undefined;
  /** The body as it came, decoded as UTF-8 (what was relayed byte for byte). */
  text: string;
  /** The body's bytes. */
  raw: Buffer;
  /** When its body had arrived, on `performance.now()`'s clock: how long the gateway waited between attempts. */
  receivedAt: number;
}
