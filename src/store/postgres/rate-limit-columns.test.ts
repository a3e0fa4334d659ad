import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestSchema, type TestSchema } from '../../../test/helpers/postgres.ts';
import type { Storage, TeamRecord, VirtualKeyRecord } from '../../core/stores.ts';
import { openStorage } from '../open.ts';

// The admin API takes rpm and tpm as any positive safe integer (src/server/admin/contract.ts), and
// SQLite keeps them; a tpm of ten billion ("no limit to speak of") must not be a 500 here.
describe('PostgreSQL keys and teams: rate limits past 2^31', () => {
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

  it('keeps rpm and tpm of any safe integer on keys and teams', async () => {
    const key: VirtualKeyRecord = {
      id: 'key_big', name: 'big', team: null, models: null, budgetUsd: null, budgetPeriod: 'total', rpm: 3_000_000_000, tpm: Number.MAX_SAFE_INTEGER,
      modelLimits: {}, expiresAt: null, metadata: {}, guardrails: [], revoked: false,
      createdAt: '2025-06-01T00:00:00.000Z', updatedAt: '2025-06-01T00:00:00.000Z', keyHash: 'ef'.repeat(32), keyHint: 'sb-...efef',
    };
    await storage.keys.save(key);
    assert.deepEqual(await storage.keys.get('key_big'), key);
    const team: TeamRecord = {
      id: 'team_big', name: 'big', models: null, budgetUsd: null, budgetPeriod: 'total', rpm: 2_147_483_648, tpm: 10_000_000_000, modelLimits: {}, metadata: {}, guardrails: [],
      createdAt: '2025-06-01T00:00:00.000Z', updatedAt: '2025-06-01T00:00:00.000Z',
    };
    await storage.teams.save(team);
    assert.deepEqual(await storage.teams.get('team_big'), team);
  });
});
