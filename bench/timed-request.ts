/**
 * One request of a benchmark client (bench/load-client.ts, bench/rate-client.ts), read to its
 * end: the time to its first body byte and to its end, counted from `since` (when it was sent,
 * or when it was due). A status other than 200 throws (counted as an error).
 */
import type { Pool } from 'undici';

export interface TimedSample {
  total: number;
  firstByte: number;
}

export async function timedRequest(pool: Pool, path: string, headers: Record<string, string>, body: string, since: number): Promise<TimedSample> {
  const response = await pool.request({ path, method: 'POST', headers, body });
  let firstByte = 0;
  for await (const chunk of response.body) {
    if (firstByte === 0 && (chunk as Buffer).length > 0) firstByte = performance.now() - since;
  }
  if (response.statusCode !== 200) throw new Error(`status ${response.statusCode}`);
  return { total: performance.now() - since, firstByte };
}
