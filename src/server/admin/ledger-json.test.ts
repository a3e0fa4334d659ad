import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LedgerRow } from '../../core/ledger.ts';
import { ledgerCsv, ledgerRowJson } from './ledger-json.ts';

const row: LedgerRow = {
  id: 'req_1', time: '2025-06-01T10:00:00.000Z', endpoint: 'chat', keyId: 'key_1', team: 'red, blue', modelRequested: 'auto', route: 'auto',
  model: 'fast', provider: 'oai', upstreamModel: 'gpt-4o-mini',
  attempts: [{ model: 'fast', provider: 'oai', upstreamModel: 'gpt-4o-mini', outcome: 'ok', latencyMs: 12 }],
  inputTokens: 10, outputTokens: 5, cachedInputTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0, tokensEstimated: false, costUsd: 0.0000045, latencyMs: 15,
  ttftMs: null, status: 'ok', httpStatus: 200, errorCode: null, errorMessage: null, stream: false, reason: 'route auto: "first"',
  metadata: { note: '=HYPERLINK("x")' }, warnings: [], guardrails: [{ name: 'pii', type: 'pii', result: 'passed' }],
};

describe('ledger rows for /admin/usage', () => {
  it('uses snake_case field names', () => {
    const json = ledgerRowJson(row);
    assert.equal(json.key_id, 'key_1');
    assert.equal(json.model_requested, 'auto');
    assert.equal(json.cost_usd, 0.0000045);
    assert.deepEqual(json.attempts[0], { model: 'fast', provider: 'oai', upstream_model: 'gpt-4o-mini', outcome: 'ok', error_code: null, upstream_status: null, message: null, latency_ms: 12 });
  });

  it('names the attempt a resumed stream continued (docs/routing.md "Stream resume")', () => {
    const broken = { model: 'fast', provider: 'oai', upstreamModel: 'gpt-4o-mini', outcome: 'error' as const, errorCode: 'SB_ERR_STREAM_INTERRUPTED', latencyMs: 40 };
    const json = ledgerRowJson({ ...row, attempts: [broken, { ...row.attempts[0]!, resumedFrom: 0 }] });
    assert.equal('resumed_from' in json.attempts[0]!, false);
    assert.equal(json.attempts[1]!.resumed_from, 0);
  });

  it('writes RFC 4180 CSV with quoting and no formula injection', () => {
    const [header, line] = ledgerCsv([row]).split('\r\n');
    assert.ok(header!.startsWith('id,time,endpoint,key_id,team'));
    assert.ok(line!.includes(',"red, blue",'), line);
    assert.ok(line!.includes(',"route auto: ""first""",'), line);
    assert.ok(line!.includes('"{""note"":""=HYPERLINK(\\""x\\"")""}"'), 'metadata is JSON, quoted');
    assert.ok(!line!.includes(',=HYPERLINK'), 'a cell starting with = would run as a formula');
    assert.ok(line!.includes(',0.0000045,') || line!.includes(',0.0000045'), line);
  });
});
