import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Caller } from '../core/caller.ts';
import type { GovernedRecord, SpendPolicy } from '../core/governance.ts';
import type { ModelInfo } from '../core/model.ts';
import type { Guardrails } from '../guardrails/guardrails.ts';
import { Governance } from './governance.ts';
import type { Admission, Demand } from './limits.ts';

const policy = (extra: Partial<SpendPolicy>): SpendPolicy => ({ kind: 'key', subject: 'key_1', label: 'one', budgetPeriod: 'total', modelLimits: {}, ...extra });
const caller = (policies: SpendPolicy[]): Caller => ({ keyId: 'key_1', keyName: 'one', team: null, allowsModel: () => true, header: () => undefined, governance: { policies, guardrails: [], metadata: {} } });
const record = { id: 'req_1', guardrails: [], warnings: [], onFinish: () => undefined } as GovernedRecord;
const model = { id: 'm', providerId: 'p', upstream: 'm', tags: [], pricing: { inputPerMtok: 2, outputPerMtok: 8 } } as ModelInfo;

/** Admits through a Governance whose limits engine keeps the demand it was given. */
async function demandFor(policies: SpendPolicy[], counted: number[], estimate?: number): Promise<Demand> {
  let seen: Demand | undefined;
  const limits = { admit: async (_policies: readonly SpendPolicy[], demand: Demand) => ((seen = demand), { settle: () => undefined }) } as unknown as Admission;
  const governance = new Governance({} as Guardrails, limits);
  await governance.admit(record, caller(policies), {
    requested: 'm',
    candidates: [model],
    promptTokens: () => (counted.push(1), 250),
    promptTokensAtMost: () => 1_000,
    ...(estimate !== undefined ? { promptTokensEstimate: () => estimate } : {}),
    maxOutputTokens: 100,
    hasOutput: true,
  });
  return seen!;
}

describe('governance admission', () => {
  it('reserves a budget on the prompt’s bound, without counting it', async () => {
    const counted: number[] = [];
    const demand = await demandFor([policy({ budgetUsd: 5 })], counted);
    assert.equal(demand.estimatedCostUsd(), (1_000 * 2 + 100 * 8) / 1e6);
    assert.deepEqual(counted, [], 'the prompt was not counted');
  });

  it('holds a token rate limit on the prompt’s estimate, without counting it, until the real tokens replace it', async () => {
    const counted: number[] = [];
    const demand = await demandFor([policy({ tpm: 10_000 })], counted, 300);
    assert.equal(demand.estimatedTokens(), 300);
    assert.deepEqual(counted, [], 'the prompt was not counted');
  });

  it('counts the prompt for a token rate limit when no estimate is offered', async () => {
    const counted: number[] = [];
    const demand = await demandFor([policy({ tpm: 10_000 })], counted);
    assert.equal(demand.estimatedTokens(), 250);
    assert.equal(counted.length, 1);
  });

  it('admits a caller whose key and team limit nothing at once, and still adds their spend when the request finishes', () => {
    const admitted: unknown[] = [];
    const spent: unknown[] = [];
    const limits = { admit: async () => admitted.push(1), recordSpend: (subjects: unknown) => spent.push(subjects) } as unknown as Admission;
    const governance = new Governance({} as Guardrails, limits);
    const finishers: Array<(row: never) => void> = [];
    const finishing = { ...record, onFinish: (finish: (row: never) => void) => finishers.push(finish) } as unknown as GovernedRecord;
    const request = { requested: 'm', candidates: [model], promptTokens: () => 1, hasOutput: true };
    assert.equal(governance.admit(finishing, caller([]), request), undefined, 'no policies: nothing to wait for');
    assert.equal(finishers.length, 0);
    assert.equal(governance.admit(finishing, caller([policy({})]), request), undefined, 'a policy that limits nothing: nothing to wait for');
    assert.deepEqual(admitted, [], 'the limits engine was not asked');
    for (const finish of finishers) finish({ inputTokens: 1, outputTokens: 1 } as never);
    assert.deepEqual(spent, [[{ kind: 'key', subject: 'key_1' }]], 'the spend of a key without limits still grows');
  });

  it('waits for the limits engine when a policy limits something', async () => {
    const limits = { admit: async () => ({ settle: () => undefined }) } as unknown as Admission;
    const admission = new Governance({} as Guardrails, limits).admit(record, caller([policy({ rpm: 5 })]), { requested: 'm', candidates: [model], promptTokens: () => 1, hasOutput: true });
    assert.ok(admission instanceof Promise);
    await admission;
  });
});
