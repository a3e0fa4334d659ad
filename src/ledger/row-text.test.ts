import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AttemptRecord, LedgerRow } from '../core/ledger.ts';
import { ledgerRow } from '../../test/helpers/ledger-row.ts';
import { cutOffRow } from './recovery.ts';
import { attemptMembers, jsonText, rowMembers, rowText } from './row-text.ts';

/**
 * The shared fixture with no metadata or warnings, its attempt's members in the order
 * attemptRecord (src/router/attempt-outcome.ts) makes them, as most rows are.
 */
function row(overrides: Partial<LedgerRow> = {}): LedgerRow {
  const attempts: AttemptRecord[] = [{ model: 'fast', provider: 'oai', upstreamModel: 'gpt-4o-mini', outcome: 'ok', latencyMs: 312, upstreamStatus: 200 }];
  return ledgerRow('req_01a25372c6c2a73aaa4f3280cd9dd20d', { attempts, metadata: {}, warnings: [], ...overrides });
}

/** What a store reads back: the text must parse to what JSON.stringify's text parses to. */
function assertSameAsStringify(value: LedgerRow): void {
  const text = rowText(value);
  assert.deepEqual(JSON.parse(text), JSON.parse(JSON.stringify(value)));
}

describe('rowText', () => {
  it('writes a plain row exactly as JSON.stringify does', () => {
    assert.equal(rowText(row()), JSON.stringify(row()));
  });

  it('writes every member of the row and of a full attempt', () => {
    const attempt: Required<AttemptRecord> = {
      model: 'a',
      provider: 'p',
      upstreamModel: 'u',
      outcome: 'error',
      latencyMs: 5,
      errorCode: 'SB_ERR_UPSTREAM_ERROR',
      message: 'boom',
      upstreamStatus: 500,
      retryAfterSeconds: 2,
      inputTokens: 3,
      outputTokens: 4,
      costUsd: 0.25,
      resumedFrom: 0,
    };
    const parsed = JSON.parse(rowText(row({ attempts: [attempt, { ...attempt, outcome: 'ok' }] }))) as Record<string, unknown> & { attempts: object[] };
    assert.deepEqual(Object.keys(parsed).sort(), [...rowMembers].sort());
    assert.deepEqual(Object.keys(parsed.attempts[0]!).sort(), [...attemptMembers].sort());
    assert.deepEqual(parsed.attempts, [attempt, { ...attempt, outcome: 'ok' }]);
  });

  it('escapes what JSON must escape: quotes, backslashes, control characters, lone surrogates', () => {
    for (const text of ['say "hi"', 'C:\\path', 'line\nbreak\ttab\u0000nul\u001f', 'lone \ud800 high', 'lone \udc00 low', 'pair 😀 emoji', 'Café — “quoted”', '']) {
      assert.equal(jsonText(text), JSON.stringify(text), text);
      assertSameAsStringify(row({ errorMessage: text, reason: text, metadata: { [text]: text }, attempts: [{ model: text, provider: 'p', upstreamModel: text, outcome: 'error', message: text, latencyMs: 1 }] }));
    }
  });

  it('writes numbers as JSON does, and keeps the line JSON when a value is missing', () => {
    assertSameAsStringify(row({ costUsd: 1e-21, latencyMs: 0, ttftMs: 250, inputTokens: 123456789012 }));
    assertSameAsStringify(row({ costUsd: -0 }));
    // JSON.stringify writes null for a number JSON cannot hold.
    assertSameAsStringify(row({ costUsd: Number.NaN, latencyMs: Number.POSITIVE_INFINITY }));
    // A member a bug left undefined: null, where interpolating it would write `undefined` (not JSON).
    const broken = row();
    (broken as unknown as Record<string, unknown>).model = undefined;
    (broken as unknown as Record<string, unknown>).inputTokens = undefined;
    assert.equal((JSON.parse(rowText(broken)) as LedgerRow).model, null);
  });

  it('writes lists and metadata with entries, and the row of a request cut off by a crash', () => {
    assertSameAsStringify(
      row({
        stream: true,
        tokensEstimated: true,
        metadata: { user: 'u-1', feature: 'search' },
        warnings: [{ type: 'dropped-setting', setting: 'seed', message: 'not supported' }],
        guardrails: [{ name: 'pii', type: 'pii', result: 'redacted', findings: { email: 2 } }],
      }),
    );
    const cutOff = cutOffRow({ id: 'req_1', time: '2026-12-08T00:00:00.000Z', endpoint: 'messages', keyId: 'key_1', team: 'red', stream: true });
    assert.equal(rowText(cutOff), JSON.stringify(cutOff));
  });
});
