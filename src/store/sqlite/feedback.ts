import type Database from 'better-sqlite3';
import type { FeedbackRecord, FeedbackStore } from '../../core/stores.ts';

/** Feedback in SQLite: one row per request, replaced when feedback is given again. */
export function createFeedbackStore(database: Database.Database): FeedbackStore {
  const upsert = database.prepare(
    'INSERT OR REPLACE INTO feedback (request_id, time, model, provider, key_id, score) VALUES (@requestId, @time, @model, @provider, @keyId, @score)',
  );
  const totals = database.prepare('SELECT model, COUNT(*) AS count, SUM(score) AS sum FROM feedback GROUP BY model');
  const existing = database.prepare('SELECT score FROM feedback WHERE request_id = ?');
  return {
    async save(record: FeedbackRecord) {
      const previous = existing.get(record.requestId) as { score: number } | undefined;
      upsert.run(record);
      return previous ? { replacedScore: previous.score } : {};
    },
    async totals() {
      return totals.all() as Array<{ model: string; count: number; sum: number }>;
    },
  };
}
