import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Fault, ReceivedRequest } from '../openai/server.ts';

export type { Fault, ReceivedRequest };

/**
 * What the Mistral and Cohere simulators share with test/simulators/openai/server.ts: a server on
 * port 0, the received requests, and the same fault injection (`fail(fault, {times, model})`:
 * status, hang, reset, slow first byte, cut stream, in-band stream error, invalid JSON).
 * Subclasses speak their provider's protocol in `handle`.
 */
export abstract class BaseSimulator {
  readonly requests: ReceivedRequest[] = [];
  readonly apiKey: string;
  protected readonly chunkDelayMs: number;
  readonly #faults: Array<{ fault: Fault; model?: string; remaining: number }> = [];
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  protected port = 0;

  constructor(apiKey: string, chunkDelayMs = 0) {
    this.apiKey = apiKey;
    this.chunkDelayMs = chunkDelayMs;
    this.#server = createServer((request, response) => void this.#receive(request, response));
    this.#server.on('connection', (socket) => {
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
    });
  }

  /** Base URL as the provider's SDK takes it. */
  abstract get url(): string;

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.port = (this.#server.address() as AddressInfo).port;
    return this;
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  /** Injects a fault into the next `times` requests (for one model, if given). */
  fail(fault: Fault, options: { times?: number; model?: string } = {}): void {
    this.#faults.push({ fault, remaining: options.times ?? 1, ...(options.model ? { model: options.model } : {}) });
  }

  protected takeFault(model: string | undefined): Fault | undefined {
    const index = this.#faults.findIndex((entry) => !entry.model || entry.model === model);
    if (index < 0) return undefined;
    const entry = this.#faults[index]!;
    entry.remaining -= 1;
    if (entry.remaining <= 0) this.#faults.splice(index, 1);
    return entry.fault;
  }

  /** Handles a request whose body was read; `text` is undefined when the body was empty. */
  protected abstract handle(request: IncomingMessage, response: ServerResponse, path: string, text: string | undefined): Promise<void>;

  async #receive(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    const text = Buffer.concat(chunks).toString('utf8');
    let body: Record<string, unknown> | undefined;
    try {
      body = text === '' ? undefined : (JSON.parse(text) as Record<string, unknown>);
    } catch {
      body = undefined;
    }
    this.requests.push({ method: request.method ?? '', path, headers: request.headers, body });
    await this.handle(request, response, path, text === '' ? undefined : text);
  }

  /**
   * Applies the faults that act before an answer. Returns true when the request was consumed
   * (status, hang, reset, invalid JSON); `slow` waits and lets the answer follow.
   */
  protected async applyFault(fault: Fault | undefined, request: IncomingMessage, response: ServerResponse, errorBody: unknown): Promise<boolean> {
    if (fault?.kind === 'status') {
      for (const [name, value] of Object.entries(fault.headers ?? {})) response.setHeader(name, value);
      json(response, fault.status, fault.body ?? errorBody);
      return true;
    }
    if (fault?.kind === 'hang') return true;
    if (fault?.kind === 'reset') {
      request.socket.destroy();
      return true;
    }
    if (fault?.kind === 'invalid-json') {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('{"id": "broken", "choices": [');
      return true;
    }
    if (fault?.kind === 'slow') await sleep(fault.delayMs);
    return false;
  }

  /**
   * Writes SSE frames (each a complete `...\n\n` block), honouring `cut-stream` (destroy the
   * connection after N frames) and `stream-error` (the provider's in-band error frame after N
   * frames, then end), and `end` after the last frame.
   */
  protected async writeStream(response: ServerResponse, frames: string[], fault: Fault | undefined, errorFrame: (message: string) => string, end: string): Promise<void> {
    response.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
    for (const [index, frame] of frames.entries()) {
      if (fault?.kind === 'cut-stream' && index === fault.afterChunks) {
        // Let what was written reach the client first: a reset discards unread data.
        await sleep(50);
        response.socket?.destroy();
        return;
      }
      if (fault?.kind === 'stream-error' && index === fault.afterChunks) {
        response.end(errorFrame(fault.message ?? 'Internal server error'));
        return;
      }
      if (response.destroyed) return;
      response.write(frame);
      if (this.chunkDelayMs) await sleep(this.chunkDelayMs);
    }
    response.end(end);
  }
}

export function json(response: ServerResponse, status: number, body: unknown): void {
  if (response.headersSent) return;
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

/** The Bearer token of a request, if any. */
export function bearer(request: IncomingMessage): string | undefined {
  return /^Bearer (.+)$/i.exec(String(request.headers.authorization ?? ''))?.[1];
}
