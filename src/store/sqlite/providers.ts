import type Database from 'better-sqlite3';
import type { ProviderCredentialStore, StoredProvider } from '../../core/stores.ts';

/** Runtime providers in SQLite: the config is stored sealed (src/keys/credential-cipher.ts). */
export function createProviderCredentialStore(database: Database.Database): ProviderCredentialStore {
  const upsert = database.prepare(`
    INSERT INTO runtime_providers (id, type, sealed_config, api_key_hint, created_at, updated_at)
    VALUES (@id, @type, @sealed_config, @api_key_hint, @created_at, @updated_at)
    ON CONFLICT (id) DO UPDATE SET type = excluded.type, sealed_config = excluded.sealed_config,
      api_key_hint = excluded.api_key_hint, updated_at = excluded.updated_at`);
  const all = database.prepare('SELECT * FROM runtime_providers ORDER BY created_at, id');
  const remove = database.prepare('DELETE FROM runtime_providers WHERE id = ?');
  return {
    async save(record) {
      upsert.run({
        id: record.id,
        type: record.type,
        sealed_config: record.sealedConfig,
        api_key_hint: record.apiKeyHint,
        created_at: record.createdAt,
        updated_at: record.updatedAt,
      });
    },
    async list() {
      return (all.all() as Array<Record<string, string | null>>).map(
        (row): StoredProvider => ({
          id: String(row.id),
          type: String(row.type),
          sealedConfig: String(row.sealed_config),
          apiKeyHint: row.api_key_hint ?? null,
          createdAt: String(row.created_at),
          updatedAt: String(row.updated_at),
        }),
      );
    },
    async delete(id) {
      return remove.run(id).changes > 0;
    },
  };
}
