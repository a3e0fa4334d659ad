import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { storeRow } from '../../../test/helpers/ledger-row.ts';
import { createTestSchema, type TestSchema } from '../../../test/helpers/postgres.ts';
import type { LedgerRow } from '../../core/ledger.ts';
import type { Storage } from '../../core/stores.ts';
import { openStorage } from '../open.ts';

const row = (overrides: Partial<LedgerRow>) => storeRow({ team: null, ...overrides });

// Token counts are a provider's numbers, checked only to be finite and not negative
// (src/ledger/request-record.ts): an OpenAI-compatible server may report `prompt_tokens: 10.5`
// or a huge count. SQLite keeps such a row; a batch that PostgreSQL refuses is retried with
// every later row forever (src/ledger/writer.ts), at this start and every start after it.
describe('PostgreSQL ledger: token counts SQLite takes', () => {
  let schema: TestSchema;
  let storage: Storage;
  before(async () => {
    schema = await createTestSchema();
    storage = await openStorage(schema.url);
  });
  after(async () => {
    await storage?.close();
    await schema?.drop();
  });

  it('writes a row whose counts are fractional or beyond bigint, and the rows after it, as lines or as objects', async () => {
    const fractional = row({ id: 'fractional', inputTokens: 10.5, outputTokens: 2.4, cachedInputTokens: 1.5, cacheWriteTokens: 0.5, reasoningTokens: 3.7 });
    const huge = row({ id: 'huge', inputTokens: 1e21, outputTokens: 1.7976931348623157e308 });
    const after = row({ id: 'after-counts' });
    await storage.ledger.appendSerialized!([JSON.stringify(fractional), JSON.stringify(huge), JSON.stringify(after)]);
    await storage.ledger.append([row({ id: 'object-fractional', inputTokens: 7.5 })]);
    const [stored] = await storage.ledger.query({ requestId: 'fractional' });
    assert.deepEqual([stored?.inputTokens, stored?.outputTokens, stored?.cachedInputTokens, stored?.cacheWriteTokens, stored?.reasoningTokens], [11, 2, 2, 1, 4], 'rounded to whole tokens');
    const [big] = await storage.ledger.query({ requestId: 'huge' });
    assert.equal(big?.inputTokens, Number(9223372036854775807n), 'held at the largest bigint');
    assert.equal(big?.outputTokens, Number(9223372036854775807n));
    assert.equal((await storage.ledger.query({ requestId: 'after-counts' })).length, 1);
    assert.equal((await storage.ledger.query({ requestId: 'object-fractional' }))[0]?.inputTokens, 8);
    // The summary's sums of such rows are numbers too.
    const [total] = await storage.ledger.summary({ groupBy: 'key', keyId: 'key_a', to: '2025-06-01T10:00:00.001Z' });
    assert.equal(typeof total?.inputTokens, 'number');
  });
});
