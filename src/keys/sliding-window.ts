/** One counted event: a request (amount 1) or its tokens. */
export interface WindowEntry {
  readonly time: number;
  amount: number;
  expired: boolean;
}

/**
 * A sliding one-minute window (rpm, tpm): the exact sum of what happened in the last
 * `windowMs`, so a burst at the edge of a fixed minute cannot double the limit. Entries are
 * kept in arrival order and dropped from the front as they age out (amortised O(1)).
 */
export class SlidingWindow {
  readonly #windowMs: number;
  #entries: WindowEntry[] = [];
  #head = 0;
  #total = 0;

  constructor(windowMs = 60_000) {
    this.#windowMs = windowMs;
  }

  /** The sum of the amounts still in the window at `now`. */
  total(now: number): number {
    this.#prune(now);
    return this.#total;
  }

  add(now: number, amount: number): WindowEntry {
    this.#prune(now);
    const entry: WindowEntry = { time: now, amount, expired: false };
    this.#entries.push(entry);
    this.#total += amount;
    return entry;
  }

  /** Replaces an entry's amount (a reservation settled with the real tokens). */
  adjust(entry: WindowEntry, amount: number): void {
    if (entry.expired) return;
    this.#total += amount - entry.amount;
    entry.amount = amount;
  }

  /** Milliseconds until the total falls below `limit` as entries age out (0 if it already is). */
  waitBelow(now: number, limit: number): number {
    this.#prune(now);
    let total = this.#total;
    for (let index = this.#head; index < this.#entries.length && total >= limit; index += 1) {
      const entry = this.#entries[index]!;
      total -= entry.amount;
      if (total < limit) return Math.max(0, entry.time + this.#windowMs - now);
    }
    return total < limit ? 0 : this.#windowMs;
  }

  #prune(now: number): void {
    const cutoff = now - this.#windowMs;
    while (this.#head < this.#entries.length && this.#entries[this.#head]!.time <= cutoff) {
      const entry = this.#entries[this.#head]!;
      entry.expired = true;
      this.#total -= entry.amount;
      this.#head += 1;
    }
    // Compact once the dead prefix dominates, so memory stays bounded by the window's contents.
    if (this.#head > 1024 && this.#head * 2 > this.#entries.length) {
      this.#entries = this.#entries.slice(this.#head);
      this.#head = 0;
    }
  }
}
