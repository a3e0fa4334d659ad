import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LedgerRow } from '../core/ledger.ts';
import type { ModelInfo } from '../core/model.ts';
import { RequestRecord } from './request-record.ts';

const priced: ModelInfo = { id: 'mist', providerId: 'mis', upstream: 'mistral-small-latest', pricing: { inputPerMtok: 1, outputPerMtok: 3 }, tags: [] };
const unpriced: ModelInfo = { id: 'claude', providerId: 'ant', upstream: 'claude-new', tags: [] };

function finished(fill: (record: RequestRecord) => void): LedgerRow {
  const record = new RequestRecord('req_1', 'chat', () => undefined);
  fill(record);
  return record.finish('ok', 200);
}

const pricingWarnings = (row: LedgerRow) => row.warnings.filter((warning) => warning.setting === 'pricing').map((warning) => warning.message);

describe('a request record with failed attempts that reported their usage', () => {
  it('adds their tokens and cost, each at its own model\'s prices, to the answer\'s, and warns for an unpriced one', () => {
    const row = finished((record) => {
      record.spend(priced, { inputTokens: 1_000, outputTokens: 100 });
      record.spend(unpriced, { inputTokens: 50, outputTokens: 5 });
      record.answered = priced;
      record.usage = { inputTokens: 2_000, outputTokens: 200, estimated: true };
    });
    assert.deepEqual([row.inputTokens, row.outputTokens, row.tokensEstimated], [3_050, 305, true]);
    assert.equal(row.costUsd, (3_000 * 1 + 300 * 3) / 1e6);
    assert.deepEqual(pricingWarnings(row), ['price unknown for ant/claude-new: its tokens are recorded at $0']);
  });

  it('rounds the sum of the parts as each part is, so no floating-point noise reaches the row', () => {
    const dime: ModelInfo = { ...priced, pricing: { inputPerMtok: 100_000, outputPerMtok: 0 } };
    const row = finished((record) => {
      record.spend(dime, { inputTokens: 1, outputTokens: 0 });
      record.answered = dime;
      record.usage = { inputTokens: 2, outputTokens: 0 };
    });
    assert.equal(row.costUsd, 0.3);
  });

  it('records them alone when nothing answered', () => {
    const row = finished((record) => record.spend(priced, { inputTokens: 10, outputTokens: 1 }));
    assert.deepEqual([row.model, row.inputTokens, row.outputTokens, row.tokensEstimated, row.costUsd], [null, 10, 1, false, (10 + 3) / 1e6]);
  });
});

describe('a request record of a provider that reports what each call cost (OpenRouter)', () => {
  it('records that cost, with or without the model\'s prices, and no warning for a model without them', () => {
    const unpricedRow = finished((record) => {
      record.answered = unpriced;
      record.usage = { inputTokens: 194, outputTokens: 2, costUsd: 0.00042 };
    });
    assert.equal(unpricedRow.costUsd, 0.00042);
    assert.deepEqual(pricingWarnings(unpricedRow), []);
    const pricedRow = finished((record) => {
      record.spend(priced, { inputTokens: 1_000, outputTokens: 100 });
      record.answered = priced;
      record.usage = { inputTokens: 1_000, outputTokens: 1_000, costUsd: 0.5 };
    });
    // The failed attempt at its prices, the answer at its reported cost.
    assert.equal(pricedRow.costUsd, 0.5 + (1_000 * 1 + 100 * 3) / 1e6);
  });
});

describe('a request record priced at $0', () => {
  it('warns when the model that answered has no known price', () => {
    const row = finished((record) => {
      record.answered = unpriced;
      record.usage = { inputTokens: 10, outputTokens: 5 };
    });
    assert.equal(row.costUsd, 0);
    assert.deepEqual(pricingWarnings(row), ['price unknown for ant/claude-new: its tokens are recorded at $0']);
  });

  it('warns for an unpriced model that continued a resumed stream, though the one that started it is priced', () => {
    const row = finished((record) => {
      record.answered = priced;
      record.usageByAttempt = [
        { model: priced, usage: { inputTokens: 10, outputTokens: 3 } },
        { model: unpriced, usage: { inputTokens: 14, outputTokens: 6 } },
      ];
      record.usage = { inputTokens: 24, outputTokens: 9 };
    });
    assert.ok(row.costUsd > 0);
    assert.deepEqual(pricingWarnings(row), ['price unknown for ant/claude-new: its tokens are recorded at $0']);
  });

  it('does not warn for a priced answer, or an unpriced model that spent nothing', () => {
    assert.deepEqual(pricingWarnings(finished((record) => ((record.answered = priced), (record.usage = { inputTokens: 1, outputTokens: 1 })))), []);
    assert.deepEqual(pricingWarnings(finished((record) => (record.answered = unpriced))), []);
  });
});

describe("a provider's invalid token counts", () => {
  it('are recorded as 0 with a warning naming them, so they are never priced as negative spend', () => {
    const row = finished((record) => {
      record.answered = priced;
      record.usage = { inputTokens: -5, outputTokens: 4, cachedInputTokens: Number.NaN, reasoningTokens: '3' as unknown as number };
    });
    assert.equal(row.inputTokens, 0);
    assert.equal(row.outputTokens, 4);
    assert.equal(row.cachedInputTokens, 0);
    assert.equal(row.reasoningTokens, 0);
    assert.ok(Math.abs(row.costUsd - (4 * 3) / 1e6) < 1e-12);
    assert.deepEqual(
      row.warnings.filter((warning) => warning.setting === 'usage').map((warning) => warning.message),
      ['the provider reported token counts that are not whole numbers from 0 to 2^53 (inputTokens, cachedInputTokens, reasoningTokens); recorded as 0'],
    );
  });

  it('are rounded when fractional, and 0 past 2^53, where their cost would overflow to Infinity', () => {
    const row = finished((record) => {
      record.answered = priced;
      record.usage = { inputTokens: 10.5, outputTokens: 1e21 };
    });
    assert.equal(row.inputTokens, 11);
    assert.equal(row.outputTokens, 0);
    assert.ok(Number.isFinite(row.costUsd));
    assert.deepEqual(
      row.warnings.filter((warning) => warning.setting === 'usage').map((warning) => warning.message),
      [
        'the provider reported token counts that are not whole numbers from 0 to 2^53 (outputTokens); recorded as 0',
        'the provider reported fractional token counts (inputTokens); rounded to whole tokens',
      ],
    );
  });

  it("are checked in each call's usage of a resumed stream too", () => {
    const row = finished((record) => {
      record.answered = priced;
      record.usageByAttempt = [
        { model: priced, usage: { inputTokens: 10, outputTokens: Number.POSITIVE_INFINITY } },
        { model: priced, usage: { inputTokens: 14, outputTokens: 6 } },
      ];
      record.usage = { inputTokens: 24, outputTokens: 6 };
    });
    assert.ok(Math.abs(row.costUsd - (24 * 1 + 6 * 3) / 1e6) < 1e-12);
    assert.equal(row.warnings.filter((warning) => warning.setting === 'usage').length, 1);
  });

  it('leave valid counts as they are, without a warning', () => {
    const row = finished((record) => ((record.answered = priced), (record.usage = { inputTokens: 0, outputTokens: 7, cachedInputTokens: 0 })));
    assert.equal(row.outputTokens, 7);
    assert.deepEqual(row.warnings, []);
  });
});

describe('the requested model', () => {
  it('tells its listener once it is known, and the row carries it', () => {
    const record = new RequestRecord('req_1', 'chat', () => undefined);
    const named: Array<string | null> = [];
    record.onModelNamed = () => named.push(record.modelRequested);
    record.modelRequested = null;
    record.modelRequested = 'fast';
    assert.deepEqual(named, ['fast']);
    assert.equal(record.finish('ok', 200).modelRequested, 'fast');
  });
});
