/**
 * Whether a regular expression repeats without bound a group that itself holds a repetition, or
 * repeats a group holding an unbounded one, as in `(\w+\s?)+`, `(\w{1,63}\s?)+` or `(a*)*`: the
 * shape whose backtracking grows exponentially with the text when no match is found. Deny
 * patterns run on the event loop over the whole prompt; measured on Node 20, `(\w+\s?)+falcon`
 * took 16 s on 1 MB of ordinary words and did not finish on 5 MB, stalling every request
 * meanwhile, where `project\s+falcon` takes 1 ms; bounding the inner repetition only slows the
 * growth (a review: `(\w{1,63}\s?)+falcon` doubled its time with each character). A heuristic
 * (the "star height" test of safe-regex, stricter): it also refuses some safe patterns, such as
 * `(?:[a-z]+\.)+internal`, and misses overlapping alternatives such as `(a|aa)+`.
 */
export function hasNestedQuantifier(source: string): boolean {
  // For each open group: whether it holds a repetition, and an unbounded one.
  const groups: Array<{ repeats: boolean; unbounded: boolean }> = [];
  let closedGroup: { repeats: boolean; unbounded: boolean } | undefined;
  let index = 0;
  while (index < source.length) {
    const character = source[index]!;
    const afterGroup = closedGroup;
    closedGroup = undefined;
    if (character === '\\') {
      index += 2;
      continue;
    }
    if (character === '[') {
      index = endOfClass(source, index + 1);
      continue;
    }
    if (character === '(') {
      groups.push({ repeats: false, unbounded: false });
      index += 1;
      continue;
    }
    if (character === ')') {
      const group = groups.pop() ?? { repeats: false, unbounded: false };
      const parent = groups[groups.length - 1];
      if (parent) {
        parent.repeats ||= group.repeats;
        parent.unbounded ||= group.unbounded;
      }
      closedGroup = group;
      index += 1;
      continue;
    }
    const quantifier = quantifierAt(source, index);
    if (quantifier) {
      if (afterGroup && ((quantifier.unbounded && afterGroup.repeats) || (quantifier.repeats && afterGroup.unbounded))) return true;
      const group = groups[groups.length - 1];
      if (group) {
        group.repeats ||= quantifier.repeats;
        group.unbounded ||= quantifier.unbounded;
      }
      index += quantifier.length;
      continue;
    }
    index += 1;
  }
  return false;
}

/** The index just past a character class that starts at `start` (after its `[`). */
function endOfClass(source: string, start: number): number {
  let index = start;
  while (index < source.length && source[index] !== ']') index += source[index] === '\\' ? 2 : 1;
  return index + 1;
}

/** The quantifier at `index`, if any: whether it repeats (may match twice or more) and has no upper bound. */
function quantifierAt(source: string, index: number): { length: number; repeats: boolean; unbounded: boolean } | undefined {
  const character = source[index];
  if (character === '*' || character === '+') return { length: 1, repeats: true, unbounded: true };
  if (character === '?') return { length: 1, repeats: false, unbounded: false };
  if (character !== '{') return undefined;
  const match = /^\{(\d+)(,(\d*))?\}/.exec(source.slice(index, index + 24));
  if (!match) return undefined;
  const unbounded = match[2] !== undefined && match[3] === '';
  const upper = match[2] === undefined ? Number(match[1]) : unbounded ? Infinity : Number(match[3]);
  return { length: match[0].length, repeats: upper > 1, unbounded };
}
