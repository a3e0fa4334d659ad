import { createServer, type IncomingMessage, type OutgoingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Fault, FaultShape, ReceivedRequest } from './types.ts';

export type { Fault, FaultShape, ReceivedRequest };

/**
 * What every simulator shares, whatever protocol it speaks: a node:http server on port 0 whose
 * `close` does not wait for kept-alive or hung connections, the received requests, the answers
 * the gateway walked away from (`abandoned`), and fault injection (`fail(fault, {times, model})`:
 * status, hang, reset, slow first byte, cut stream, in-band stream error, stalled stream, an
 * invalid event mid-stream, invalid JSON; `down(fault)` … `up()` for an outage, every request
 * failing until it ends).
 * Subclasses speak their protocol in `handle` and word its errors through the hooks below.
 */

/** A request's URL and body, read once for `handle`. */
export interface RequestContent {
  url: URL;
  /** The body's bytes (Bedrock signs them). */
  raw: Buffer;
  /** The body as UTF-8 text ('' when empty). */
  text: string;
  /** The body parsed as JSON; undefined when empty or not JSON. */
  body: Record<string, unknown> | undefined;
  /** The body is not empty and not JSON: each protocol refuses it at its own point. */
  malformed: boolean;
}

export interface BaseSimulatorOptions {
  apiKey: string;
  /** Delay between streamed frames. */
  chunkDelayMs?: number;
  /** Delay before answering, per model (a slower model, for latency routing). */
  delays?: Record<string, number>;
  /**
   * Keep every request in `requests` (default true, what tests inspect). The benchmark's upstream
   * turns it off: half a million kept requests slow the simulator's GC and skew the run.
   */
  recordRequests?: boolean;
  /** How long an idle kept-alive connection stays open (Node's default, 5 s, when absent; bench/held.ts). */
  keepAliveTimeoutMs?: number;
}

/** A piece of a streamed answer, as `response.write` takes it. */
export type StreamPiece = string | Uint8Array;

export interface StreamAnswer<TFault> {
  /** Headers of the 200; SSE's content type and no-cache unless given. */
  headers?: OutgoingHttpHeaders;
  /** The frames, in order; a frame given as pieces is written piece by piece (Bedrock splits frames across writes). */
  frames: Array<StreamPiece | StreamPiece[]>;
  /** The request's fault: `cut-stream` and `stream-error` strike before the frame they name. */
  fault: TFault | undefined;
  /** The protocol's in-band error, which ends the stream in place of the frame `stream-error` names. */
  errorFrame: (fault: Extract<TFault, { kind: 'stream-error' }>) => StreamPiece;
  /** What ends a complete stream (`data: [DONE]`), if anything. */
  end?: StreamPiece;
  /** The `invalid-event` fault's event: well-formed SSE whose data is not JSON (default: an OpenAI-style `data:` line cut short). */
  invalidFrame?: StreamPiece;
  /** The protocol's keep-alive, which a `stall` fault with `keepAliveEveryMs` sends (none: the fault is refused). */
  keepAliveFrame?: StreamPiece;
}

/** What `injectFault` returns when the fault answered the request itself (or never will). */
export const answered: unique symbol = Symbol('answered');

/**
 * Written anywhere in a fault (a status body, a stream error's message), this is replaced by the
 * credential headers the request carried, as `name: value` pairs: a provider, or a proxy in front
 * of it, that echoes the key it was sent back in its error text.
 */
export const echoedCredentials = '{{credentials}}';

/** The headers that carry a provider credential (Bedrock SigV4 adds its session token header). */
const credentialHeaders = ['authorization', 'x-api-key', 'api-key', 'x-goog-api-key', 'x-amz-security-token'];

const sseHeaders: OutgoingHttpHeaders = { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' };

export abstract class BaseSimulator<TFault extends FaultShape = Fault> {
  readonly requests: ReceivedRequest[] = [];
  /** Answers whose connection the gateway closed before they were complete. */
  abandoned = 0;
  readonly apiKey: string;
  protected readonly chunkDelayMs: number;
  /** How this protocol writes JSON answers (Gemini's recorded ones carry a charset and are pretty-printed). */
  protected readonly jsonStyle: { contentType: string; indent?: number } = { contentType: 'application/json' };
  /** The 200 body of the `invalid-json` fault: the start of the protocol's answer, cut short. */
  protected readonly brokenJson: string = '{"id": "broken", "choices": [';
  readonly #delays: Record<string, number>;
  readonly #faults: Array<{ fault: TFault; model?: string; remaining: number }> = [];
  /** A standing fault (an outage): every request gets it until `up()`. */
  #outage: TFault | undefined;
  /** Decides a fault for each request that has no queued one (a chaos run). */
  #policy: ((model: string) => TFault | undefined) | undefined;
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  readonly #recordRequests: boolean;
  #port = 0;

  constructor(options: BaseSimulatorOptions) {
    this.apiKey = options.apiKey;
    this.chunkDelayMs = options.chunkDelayMs ?? 0;
    this.#delays = options.delays ?? {};
    this.#recordRequests = options.recordRequests ?? true;
    this.#server = createServer((request, response) => void this.#receive(request, response));
    if (options.keepAliveTimeoutMs !== undefined) this.#server.keepAliveTimeout = options.keepAliveTimeoutMs;
    this.#server.on('connection', (socket) => {
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
    });
  }

  /** Base URL as the provider's SDK takes it. */
  abstract get url(): string;

  /** `http://127.0.0.1:PORT`, once started. */
  protected get origin(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.#port = (this.#server.address() as AddressInfo).port;
    return this;
  }

  async close(): Promise<void> {
    // server.close() waits for open connections, and a hung answer or a kept-alive socket never closes.
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  /** Injects a fault into the next `times` requests (for one model, if given). */
  fail(fault: TFault, options: { times?: number; model?: string } = {}): void {
    this.#faults.push({ fault, remaining: options.times ?? 1, ...(options.model ? { model: options.model } : {}) });
  }

  /** Starts an outage: every request (after its checks) gets `fault` until `up()`. */
  down(fault: TFault): void {
    this.#outage = fault;
  }

  /** Ends the outage. */
  up(): void {
    this.#outage = undefined;
  }

  /** Lets `policy` pick the fault of every request with no outage or queued fault (undefined: answer normally). */
  chaos(policy: ((model: string) => TFault | undefined) | undefined): void {
    this.#policy = policy;
  }

  /** Answers a request whose body was read (and recorded). */
  protected abstract handle(request: IncomingMessage, response: ServerResponse, content: RequestContent): Promise<void> | void;

  /** What is recorded of a request; Bedrock adds the operation and model it read from the path. */
  protected record(request: IncomingMessage, content: RequestContent): ReceivedRequest {
    return { method: request.method ?? '', path: content.url.pathname, query: content.url.search, headers: request.headers, body: content.body, text: content.text, raw: content.raw, receivedAt: performance.now() };
  }

  protected sendJson(response: ServerResponse, status: number, body: unknown): void {
    if (response.headersSent) return;
    response.writeHead(status, { 'content-type': this.jsonStyle.contentType });
    response.end(JSON.stringify(body, null, this.jsonStyle.indent));
  }

  /**
   * Takes the next fault for `model` and applies what acts before an answer. A status, hang,
   * reset or invalid JSON consume the request (`answered`); `slow` and the model's configured
   * delay wait, then the fault is returned for the stream to honour. `errorBody` is the
   * protocol's error body for a status fault that brings none.
   */
  protected async injectFault(model: string, request: IncomingMessage, response: ServerResponse, errorBody?: (status: number) => unknown): Promise<TFault | undefined | typeof answered> {
    const fault = echoCredentials(this.#takeFault(model), request);
    const shape: FaultShape | undefined = fault;
    if (shape?.kind === 'status') {
      this.answerStatusFault(response, shape, errorBody);
      return answered;
    }
    if (shape?.kind === 'hang') return answered;
    if (shape?.kind === 'reset') {
      request.socket.destroy();
      return answered;
    }
    if (shape?.kind === 'invalid-json') {
      response.writeHead(200, { 'content-type': this.jsonStyle.contentType });
      response.end(this.brokenJson);
      return answered;
    }
    if (shape?.kind === 'slow') await sleep(shape.delayMs);
    const delay = this.#delays[model];
    if (delay) await sleep(delay);
    return fault;
  }

  /** A `status` fault's answer: its headers, and its body or the protocol's error body for the status. */
  protected answerStatusFault(response: ServerResponse, fault: Extract<FaultShape, { kind: 'status' }>, errorBody?: (status: number) => unknown): void {
    for (const [name, value] of Object.entries(fault.headers ?? {})) response.setHeader(name, value);
    this.sendJson(response, fault.status, fault.body ?? errorBody?.(fault.status));
  }

  /**
   * Writes a streamed answer frame by frame (after `chunkDelayMs` each), honouring the request's
   * `cut-stream` (the connection destroyed) and `stream-error` (the protocol's error frame, then
   * the end) before the frame they name.
   */
  protected async writeStream(response: ServerResponse, stream: StreamAnswer<TFault>): Promise<void> {
    const shape: FaultShape | undefined = stream.fault;
    const strikesAt = shape?.kind === 'cut-stream' || shape?.kind === 'stream-error' || shape?.kind === 'end-stream' ? ('afterChunks' in shape ? shape.afterChunks : shape.afterFrames) : -1;
    const pausesAt = shape?.kind === 'stall' || shape?.kind === 'invalid-event' ? shape.afterChunks : -1;
    response.writeHead(200, stream.headers ?? sseHeaders);
    for (const [index, frame] of stream.frames.entries()) {
      if (index === strikesAt) {
        if (isFault(stream.fault, 'stream-error')) response.end(stream.errorFrame(stream.fault));
        else if (shape?.kind === 'end-stream') response.end();
        else await this.cutStream(response);
        return;
      }
      if (index === pausesAt && shape?.kind === 'invalid-event') response.write(stream.invalidFrame ?? 'data: {"id": "broken", "choices": [\n\n');
      if (index === pausesAt && shape?.kind === 'stall') {
        // Nothing more (but keep-alives) until the pause ends, or the gateway gives up on the connection.
        const closed = new Promise<void>((resolve) => response.once('close', () => resolve()));
        const pause = shape.ms === undefined ? closed : Promise.race([closed, sleep(shape.ms)]);
        await (shape.keepAliveEveryMs === undefined ? pause : this.#keepAlive(response, pause, shape.keepAliveEveryMs, stream.keepAliveFrame));
        if (response.destroyed) return;
      }
      for (const piece of Array.isArray(frame) ? frame : [frame]) {
        if (response.destroyed) return;
        response.write(piece);
      }
      if (this.chunkDelayMs) await sleep(this.chunkDelayMs);
    }
    if (stream.end === undefined) response.end();
    else response.end(stream.end);
  }

  /** Writes `frame` every `everyMs` until `pause` ends. */
  async #keepAlive(response: ServerResponse, pause: Promise<void>, everyMs: number, frame: StreamPiece | undefined): Promise<void> {
    if (frame === undefined) throw new Error('This simulator\'s protocol has no keep-alive frame');
    let paused = true;
    void pause.then(() => (paused = false));
    while (paused) {
      await Promise.race([pause, sleep(everyMs)]);
      if (paused && !response.destroyed) response.write(frame);
    }
  }

  /** Destroys a stream's connection mid-answer (the `cut-stream` fault). */
  protected async cutStream(response: ServerResponse): Promise<void> {
    // Let what was written reach the client first: a reset discards unread data.
    await sleep(50);
    response.socket?.destroy();
  }

  #takeFault(model: string): TFault | undefined {
    if (this.#outage) return this.#outage;
    const index = this.#faults.findIndex((entry) => !entry.model || entry.model === model);
    if (index < 0) return this.#policy?.(model);
    const entry = this.#faults[index]!;
    entry.remaining -= 1;
    if (entry.remaining <= 0) this.#faults.splice(index, 1);
    return entry.fault;
  }

  async #receive(request: IncomingMessage, response: ServerResponse): Promise<void> {
    try {
      const chunks: Buffer[] = [];
      for await (const chunk of request) chunks.push(chunk as Buffer);
      const raw = Buffer.concat(chunks);
      const text = raw.toString('utf8');
      let body: Record<string, unknown> | undefined;
      let malformed = false;
      try {
        body = text === '' ? undefined : (JSON.parse(text) as Record<string, unknown>);
      } catch {
        malformed = true;
      }
      const content: RequestContent = { url: new URL(request.url ?? '/', 'http://localhost'), raw, text, body, malformed };
      if (this.#recordRequests) this.requests.push(this.record(request, content));
      response.on('close', () => {
        if (!response.writableFinished) this.abandoned += 1;
      });
      await this.handle(request, response, content);
    } catch (error) {
      this.#answerBug(response, error);
    }
  }

  /** A simulator bug fails the test at once (a 500, or a cut connection) instead of leaving it to time out. */
  #answerBug(response: ServerResponse, error: unknown): void {
    console.error(`${this.constructor.name} failed to answer:`, error);
    if (!response.headersSent) this.sendJson(response, 500, { error: { message: `Simulator bug: ${error instanceof Error ? error.message : String(error)}` } });
    else if (!response.writableEnded) response.socket?.destroy();
  }
}

/** The fault with `echoedCredentials` replaced by the request's credential headers. */
function echoCredentials<TFault>(fault: TFault | undefined, request: IncomingMessage): TFault | undefined {
  if (fault === undefined) return undefined;
  const text = JSON.stringify(fault);
  if (!text.includes(echoedCredentials)) return fault;
  const credentials = credentialHeaders.flatMap((name) => (request.headers[name] === undefined ? [] : [`${name}: ${String(request.headers[name])}`])).join(', ');
  // Inserted into JSON text, so escaped as a JSON string's inside.
  return JSON.parse(text.replaceAll(echoedCredentials, JSON.stringify(credentials).slice(1, -1))) as TFault;
}

/** Narrows a simulator's fault to one kind, keeping the simulator's own fields. */
export function isFault<TFault extends FaultShape, TKind extends TFault['kind']>(fault: TFault | undefined, kind: TKind): fault is Extract<TFault, { kind: TKind }> {
  return fault?.kind === kind;
}

/** The Bearer token of a request, if any. */
export function bearer(request: IncomingMessage): string | undefined {
  return /^Bearer (.+)$/i.exec(String(request.headers.authorization ?? ''))?.[1];
}
