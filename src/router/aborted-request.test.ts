import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import type { ServerResponse } from 'node:http';
import type { ChatRequest } from '../core/chat-request.ts';
import type { ChatResult } from '../core/chat-result.ts';
import { GatewayError } from '../core/errors.ts';
import type { AttemptRecord } from '../core/ledger.ts';
import type { ModelInfo } from '../core/model.ts';
import type { ProviderAdapter } from '../core/provider-adapter.ts';
import { clientSignal } from '../server/routes/chat.ts';
import { createMemoryRoutingState } from '../store/memory/routing-state.ts';
import { SharedSignal } from '../server/shared-signal.ts';
import { executeChat, type ProviderHandle } from './execute.ts';
import type { Plan } from './plan.ts';

/**
 * A request whose signal aborted before its call to a provider (the drain deadline passed while
 * its body was still arriving, or while it waited on its budget) calls no provider and ends with
 * the signal's reason: a listener added to an aborted signal never fires, so the call would
 * otherwise run, and a stream would be cut without an error event when connections are closed.
 */
const shutdownError = new GatewayError('SB_ERR_UNAVAILABLE', 'Switchboard is shutting down: the request was ended at the drain deadline.');

describe('a request aborted before its call', () => {
  it('gets a signal already aborted with the deadline when its handler starts after the deadline', () => {
    const deadline = new AbortController();
    const shared = new SharedSignal(deadline.signal);
    deadline.abort(shutdownError);
    const response = Object.assign(new EventEmitter(), { writableFinished: false }) as unknown as ServerResponse;
    const signal = clientSignal(response, shared);
    assert.equal(signal.aborted, true);
    assert.equal(signal.reason, shutdownError);
  });

  it('calls no provider and ends with the signal reason', async () => {
    let calls = 0;
    const model = { id: 'm', providerId: 'p', upstream: 'm', tags: [] } as unknown as ModelInfo;
    const handle: ProviderHandle = {
      adapter: { id: 'p', chat: async () => (calls++, { id: 'answer' } as unknown as ChatResult) } as unknown as ProviderAdapter,
      timeoutMs: 5000,
    };
    const plan = {
      requested: 'm',
      route: null,
      strategy: null,
      candidates: [model],
      considered: [],
      retry: { attempts: 2, backoffMs: 10, maxRetryAfterMs: 1000 },
      hedgeAfterMs: undefined,
      resumeStreams: false,
      reason: '',
    } as unknown as Plan;
    const request = new AbortController();
    request.abort(shutdownError);
    const attempts: AttemptRecord[] = [];
    const state = createMemoryRoutingState(() => ({ failureThreshold: 5, cooldownMs: 1000, maxCooldownMs: 10_000 }));
    await assert.rejects(
      executeChat(plan, {} as ChatRequest, { requestId: 'r', signal: request.signal, provider: () => handle, attempts, state }),
      (error: unknown) => error === shutdownError,
    );
    assert.equal(calls, 0);
  });
});
