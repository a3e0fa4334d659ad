/**
 * Whether a regular expression repeats a group that itself holds an unbounded repetition, as in
 * `(\w+\s?)+` or `(a*)*`: the shape whose backtracking grows exponentially with the text when
 * no match is found. Deny patterns run on the event loop over the whole prompt; measured on
 * Node 20, `(\w+\s?)+falcon` took 16 s on 1 MB of ordinary words and did not finish on 5 MB,
 * stalling every request meanwhile, where `project\s+falcon` takes 1 ms. A heuristic (the
 * "star height" test of safe-regex): overlapping alternatives such as `(a|aa)+` are not caught.
 */
export function hasNestedQuantifier(source: string): boolean {
  // For each open group: whether it holds an unbounded quantifier.
  const groups: boolean[] = [];
  let closedGroupUnbounded: boolean | undefined;
  let index = 0;
  while (index < source.length) {
    const character = source[index]!;
    const afterGroup = closedGroupUnbounded;
    closedGroupUnbounded = undefined;
    if (character === '\\') {
      index += 2;
      continue;
    }
    if (character === '[') {
      index = endOfClass(source, index + 1);
      continue;
    }
    if (character === '(') {
      groups.push(false);
      index += 1;
      continue;
    }
    if (character === ')') {
      const unbounded = groups.pop() ?? false;
      if (unbounded && groups.length > 0) groups[groups.length - 1] = true;
      closedGroupUnbounded = unbounded;
      index += 1;
      continue;
    }
    const quantifier = quantifierAt(source, index);
    if (quantifier) {
      if (afterGroup && quantifier.repeats) return true;
      if (quantifier.unbounded && groups.length > 0) groups[groups.length - 1] = true;
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
