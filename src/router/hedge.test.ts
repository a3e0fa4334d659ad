import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ChatRequest } from '../core/chat-request.ts';
import type { ChatResult } from '../core/chat-result.ts';
import type { AttemptRecord } from '../core/ledger.ts';
import type { ModelInfo } from '../core/model.ts';
import type { ProviderAdapter } from '../core/provider-adapter.ts';
import { createMemoryRoutingState } from '../store/memory/routing-state.ts';
import { executeChat, type ProviderHandle } from './execute.ts';
import type { Plan } from './plan.ts';

/**
 * Hedging (route `hedge_after_ms`) at the executor: the losing call is entered in the attempts
 * once, as aborted, when the race is decided, so that the ledger row written with the answer
 * has it (docs/decisions/0011-ledger-write-path.md), whatever the loser does afterwards.
 */
const model = (id: string): ModelInfo => ({ id, providerId: `p-${id}`, upstream: id, tags: [] }) as unknown as ModelInfo;
const plan = (hedgeAfterMs: number): Plan =>
  ({
    requested: 'r',
    route: null,
    strategy: null,
    candidates: [model('first'), model('second')],
    considered: [],
    retry: { attempts: 0, backoffMs: 10, maxRetryAfterMs: 1000 },
    hedgeAfterMs,
    resumeStreams: false,
    reason: '',
  }) as unknown as Plan;

async function race(answer: (id: string) => Promise<void>): Promise<{ winner: string; attempts: AttemptRecord[] }> {
  const handle = (id: string): ProviderHandle => ({
    adapter: { id, chat: async () => (await answer(id), { id } as unknown as ChatResult) } as unknown as ProviderAdapter,
    timeoutMs: 5000,
  });
  const handles = new Map([['p-first', handle('first')], ['p-second', handle('second')]]);
  const attempts: AttemptRecord[] = [];
  const state = createMemoryRoutingState(() => ({ failureThreshold: 5, cooldownMs: 1000, maxCooldownMs: 10_000 }));
  const result = await executeChat(plan(20), {} as ChatRequest, { requestId: 'r', signal: new AbortController().signal, provider: (id) => handles.get(id), attempts, state });
  const entered = attempts.map((attempt) => ({ ...attempt }));
  // Whatever the loser does later must not add to what the answer was written with.
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.deepEqual(attempts, entered, 'an attempt was entered after the answer');
  return { winner: result.model.id, attempts };
}

describe('hedged candidates', () => {
  it('enter the loser still in flight as aborted before the answer returns', async () => {
    const { winner, attempts } = await race((id) => new Promise((resolve) => setTimeout(resolve, id === 'first' ? 200 : 10)));
    assert.equal(winner, 'second');
    assert.deepEqual(attempts.map((attempt) => [attempt.model, attempt.outcome]).sort(), [['first', 'aborted'], ['second', 'ok']]);
  });

  it('enter a loser that answered in the same turn as the winner once, as aborted', async () => {
    // Both answers come from one timer; the first candidate's takes a few more promise turns.
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    setTimeout(() => open(), 40);
    const { winner, attempts } = await race(async (id) => {
      await gate;
      for (let turn = 0; turn < (id === 'first' ? 4 : 0); turn += 1) await null;
    });
    assert.equal(winner, 'second');
    assert.deepEqual(attempts.map((attempt) => [attempt.model, attempt.outcome]).sort(), [['first', 'aborted'], ['second', 'ok']]);
  });
});
