import { GatewayError, errorKinds, type ErrorCode } from '../core/errors.ts';

/**
 * Calls and notifications between the cluster primary and a worker over Node's IPC channel
 * (`process.send` / `worker.send`, JSON lines on a pipe). Every Switchboard message carries a
 * `switchboard` field, so other users of the channel (Node's cluster internals) pass by.
 */

/** Methods a side serves: name → [parameters, result]. */
export type MethodMap = Record<string, [unknown, unknown]>;

/** An error as it crosses the channel: a GatewayError keeps its code and caller-facing details. */
export interface WireError {
  message: string;
  code?: ErrorCode;
  status?: number;
  publicCode?: string;
  retryAfterSeconds?: number;
}

export type Envelope =
  | { switchboard: 'call'; id: number; method: string; params: unknown }
  | { switchboard: 'reply'; id: number; result?: unknown; error?: WireError }
  | { switchboard: 'notify'; method: string; params: unknown };

type Handler = (params: never) => unknown;

interface Pending {
  resolve(result: unknown): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

/**
 * One end of the channel. `send` hands an envelope to the channel and reports a failure to
 * send through its callback (never by throwing or by an 'error' event nobody listens to).
 */
export class RpcPeer<Local extends MethodMap, Remote extends MethodMap> {
  readonly #send: (envelope: Envelope, done: (error: Error | null) => void) => void;
  readonly #timeoutMs: number;
  readonly #onNotifyError: ((method: string, error: unknown) => void) | undefined;
  readonly #handlers = new Map<string, Handler>();
  readonly #pending = new Map<number, Pending>();
  #next = 1;
  #closed: Error | undefined;

  /** `onNotifyError`: a notification's handler failed (there is no caller to tell). */
  constructor(
    send: (envelope: Envelope, done: (error: Error | null) => void) => void,
    options: { timeoutMs?: number; onNotifyError?: (method: string, error: unknown) => void } = {},
  ) {
    this.#send = send;
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    this.#onNotifyError = options.onNotifyError;
  }

  /** Serves a method (a call or a notification of that name). */
  handle<Method extends keyof Local & string>(method: Method, handler: (params: Local[Method][0]) => Local[Method][1] | Promise<Local[Method][1]>): void {
    this.#handlers.set(method, handler as Handler);
  }

  call<Method extends keyof Remote & string>(method: Method, params: Remote[Method][0], timeoutMs = this.#timeoutMs): Promise<Remote[Method][1]> {
    if (this.#closed) return Promise.reject(this.#closed);
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.#settle(id, undefined, new GatewayError('SB_ERR_UNAVAILABLE', `The cluster ${method} call got no answer in ${timeoutMs} ms.`)), timeoutMs);
      this.#pending.set(id, { resolve: resolve as (result: unknown) => void, reject, timer });
      this.#send({ switchboard: 'call', id, method, params }, (error) => {
        if (error) this.#settle(id, undefined, channelClosed(error));
      });
    });
  }

  /** Fire and forget; lost only if the other side is gone. */
  notify<Method extends keyof Remote & string>(method: Method, params: Remote[Method][0]): void {
    if (!this.#closed) this.#send({ switchboard: 'notify', method, params }, () => undefined);
  }

  /** Takes a message from the channel; false when it is not a Switchboard envelope. */
  receive(message: unknown): boolean {
    if (!isEnvelope(message)) return false;
    if (message.switchboard === 'reply') {
      this.#settle(message.id, message.result, message.error && fromWire(message.error));
      return true;
    }
    const handler = this.#handlers.get(message.method);
    if (message.switchboard === 'notify') {
      if (handler) this.#runNotification(message.method, () => handler(message.params as never));
      return true;
    }
    const { id } = message;
    const reply = (envelope: Envelope) => {
      if (!this.#closed) this.#send(envelope, () => undefined);
    };
    if (!handler) {
      reply({ switchboard: 'reply', id, error: { message: `Unknown cluster method "${message.method}".` } });
      return true;
    }
    // Run at once, in arrival order: a settle that arrived before an admit is applied before it.
    let result: unknown;
    try {
      result = handler(message.params as never);
    } catch (error) {
      reply({ switchboard: 'reply', id, error: toWire(error) });
      return true;
    }
    Promise.resolve(result).then(
      (value) => reply({ switchboard: 'reply', id, result: value }),
      (error: unknown) => reply({ switchboard: 'reply', id, error: toWire(error) }),
    );
    return true;
  }

  /** The channel closed: calls waiting for an answer fail, new ones fail at once. */
  close(reason: Error): void {
    this.#closed = reason;
    for (const id of [...this.#pending.keys()]) this.#settle(id, undefined, reason);
  }

  #runNotification(method: string, run: () => unknown): void {
    const report = (error: unknown) => this.#onNotifyError?.(method, error);
    try {
      const result = run();
      if (result instanceof Promise) result.catch(report);
    } catch (error) {
      report(error);
    }
  }

  #settle(id: number, result: unknown, error: Error | undefined): void {
    const pending = this.#pending.get(id);
    if (!pending) return;
    this.#pending.delete(id);
    clearTimeout(pending.timer);
    const { resolve, reject } = pending;
    // Emptied before it goes: a removed entry of a long-lived Map must not keep the caller's
    // promise, and the request awaiting it, reachable (src/server/shared-signal.ts).
    pending.resolve = pending.reject = settled;
    if (error) reject(error);
    else resolve(result);
  }
}

function settled(): void {}

function isEnvelope(message: unknown): message is Envelope {
  return typeof message === 'object' && message !== null && typeof (message as { switchboard?: unknown }).switchboard === 'string';
}

function channelClosed(cause: Error): GatewayError {
  return new GatewayError('SB_ERR_UNAVAILABLE', 'The cluster channel is closed.', { cause });
}

export function toWire(error: unknown): WireError {
  if (error instanceof GatewayError) {
    return {
      message: error.message,
      code: error.code,
      status: error.status,
      ...(error.publicCode !== undefined ? { publicCode: error.publicCode } : {}),
      ...(error.retryAfterSeconds !== undefined ? { retryAfterSeconds: error.retryAfterSeconds } : {}),
    };
  }
  return { message: error instanceof Error ? error.message : String(error) };
}

export function fromWire(error: WireError): Error {
  if (error.code === undefined || !(error.code in errorKinds)) return new Error(error.message);
  return new GatewayError(error.code, error.message, {
    ...(error.status !== undefined ? { status: error.status } : {}),
    ...(error.publicCode !== undefined ? { publicCode: error.publicCode } : {}),
    ...(error.retryAfterSeconds !== undefined ? { retryAfterSeconds: error.retryAfterSeconds } : {}),
  });
}
