import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { storeRow } from '../../../test/helpers/ledger-row.ts';
import { createTestSchema, type TestSchema } from '../../../test/helpers/postgres.ts';
import type { LedgerRow } from '../../core/ledger.ts';
import type { Storage, UsageGroup } from '../../core/stores.ts';
import { openStorage } from '../open.ts';

const row = (overrides: Partial<LedgerRow>) => storeRow({ costUsd: 0, ...overrides });

// /admin/usage/summary lists groups by cost, then by name: the order SQLite gives, whichever
// backend answers. Where costs tie (free models, failed requests, the demo provider), the group
// without a key, team, model or provider (NULL) comes first, and names sort by their bytes, as
// SQLite's BINARY collation does, whatever the database's collation.
describe('PostgreSQL usage summary: the order of groups whose cost ties', () => {
  let schema: TestSchema;
  let sqlite: Storage;
  let postgres: Storage;
  before(async () => {
    schema = await createTestSchema();
    postgres = await openStorage(schema.url);
    sqlite = await openStorage(':memory:');
  });
  after(async () => {
    await postgres?.close();
    await sqlite?.close();
    await schema?.drop();
  });

  it('is the order SQLite gives: NULL first, then names by their bytes', async () => {
    const rows = [
      row({ id: 'a', keyId: null, team: null, model: null, provider: null, status: 'error', httpStatus: 502 }),
      row({ id: 'b', keyId: 'key_B', team: 'Blue', model: 'Beta', provider: 'b' }),
      row({ id: 'c', keyId: 'key_a', team: 'alpha', model: 'alpha', provider: 'a' }),
      row({ id: 'd', keyId: 'key__', team: '_under', model: 'a b', provider: 'Z' }),
      row({ id: 'e', keyId: 'key_é', team: 'émoji😀', model: 'Zed', provider: 'é' }),
      row({ id: 'f', costUsd: 0.5, model: 'paid', provider: 'paid' }),
    ];
    await postgres.ledger.append(rows);
    await sqlite.ledger.append(rows);
    for (const groupBy of ['key', 'team', 'model', 'provider', 'day'] as UsageGroup[]) {
      const expected = (await sqlite.ledger.summary({ groupBy })).map((group) => group.group);
      assert.deepEqual((await postgres.ledger.summary({ groupBy })).map((group) => group.group), expected, `group_by=${groupBy}`);
    }
    assert.deepEqual((await postgres.ledger.summary({ groupBy: 'model' })).map((group) => group.group), ['paid', null, 'Beta', 'Zed', 'a b', 'alpha']);
  });
});
