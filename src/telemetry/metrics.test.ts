import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ledgerRow } from '../../test/helpers/ledger-row.ts';
import { createMetrics } from './metrics.ts';

describe('request metrics', () => {
  it('labels at most 1,000 model names and counts the rest as other (callers choose provider/upstream names)', async () => {
    const stats = { queued: 0, journalOnly: 0, writeFailures: 0, journalFailures: 0, dropped: 0, failing: false, lastError: null };
    const metrics = createMetrics('metrics-test', { ledger: () => stats });
    try {
      const made = (index: number) => `demo/made-up-${index}`;
      const rows = Array.from({ length: 1_050 }, (_, index) => {
        const model = made(index);
        return ledgerRow(`r${index}`, { model, attempts: [{ model, provider: 'demo', upstreamModel: model, outcome: 'ok', upstreamStatus: 200, latencyMs: 1 }] });
      });
      metrics.countRows(rows);
      // A name seen before the limit keeps its label.
      metrics.countRows([ledgerRow('again', { model: made(0) })]);
      const text = await metrics.registry.metrics();
      const labelled = new Set([...text.matchAll(/switchboard_requests_total\{[^}]*model="([^"]+)"/g)].map((match) => match[1]));
      assert.equal(labelled.size, 1_001, '1,000 names and other');
      assert.ok(labelled.has('other'));
      assert.match(text, /switchboard_requests_total\{[^}]*model="other"[^}]*\} 50\n/);
      assert.match(text, /switchboard_requests_total\{[^}]*model="demo\/made-up-0"[^}]*\} 2\n/);
      assert.match(text, /switchboard_upstream_attempts_total\{model="other"[^}]*\} 50\n/);
    } finally {
      metrics.close();
    }
  });
});
