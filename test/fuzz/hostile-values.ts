import type { Random } from './random.ts';

/**
 * Values an attacker or a broken client puts in a request: control characters, lone surrogates,
 * huge strings, deep nesting, numbers at the edge of JSON, prototype keys.
 */

/** Strings that break naive handling: CR/LF (header injection), NUL, escapes, bidi and zero-width marks, lone surrogates. */
const nastyStrings = [
  '',
  ' ',
  '\r\nx-injected: 1',
  'a\u0000b',
  '\u001b[31mred\u001b[0m',
  '\u007f\u0085\u2028\u2029',
  '\u202eevil\u202c',
  '\u200b\ufeff',
  '\ud800',
  '\udfff\ud800',
  '%s%n%x',
  '../../../etc/passwd',
  '{"}',
  '\\',
  '"',
  '<script>alert(1)</script>',
  "'; DROP TABLE ledger; --",
  'модель',
  '模型',
  '🙂'.repeat(50),
  '__proto__',
  'constructor',
];

/** A string from the nasty list, a long run of one character, or random code units. */
export function hostileString(random: Random): string {
  switch (random.int(0, 4)) {
    case 0:
    case 1:
      return random.pick(nastyStrings);
    case 2:
      // Long unbroken text: what made token counting quadratic (issue 13, defect 1).
      return random.pick(['a', 'x', '9', '\u00e9', '🙂']).repeat(random.int(1_000, 200_000));
    case 3:
      return String.fromCharCode(...Array.from({ length: random.int(1, 40) }, () => random.int(0, 0xffff)));
    default:
      return `${random.pick(nastyStrings)}${'z'.repeat(random.int(0, 300))}${random.pick(nastyStrings)}`;
  }
}

/** Numbers at the edges of what JSON and JavaScript agree on. */
const edgeNumbers = [0, -0, -1, 1.5, 1e308, -1e308, 2 ** 53 + 2, 2 ** 53, -(2 ** 31), 4294967296, 1e-320, 0.1];

/** Any JSON value, as wrong as possible for whatever field it lands in. */
export function hostileValue(random: Random, depth = 0): unknown {
  switch (random.int(0, depth > 2 ? 4 : 7)) {
    case 0:
      return hostileString(random);
    case 1:
      return random.pick(edgeNumbers);
    case 2:
      return random.pick([true, false, null]);
    case 3:
      return random.pick([[], {}, '', 0]);
    case 4:
      return hostileString(random).slice(0, 50);
    case 5:
      return Array.from({ length: random.int(1, 5) }, () => hostileValue(random, depth + 1));
    case 6:
      return objectWithKeys(random, depth);
    default:
      return nested(random.int(101, 3_000), random.pick(['array', 'object'] as const));
  }
}

function objectWithKeys(random: Random, depth: number): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (let index = random.int(1, 4); index > 0; index--) result[hostileString(random).slice(0, 30)] = hostileValue(random, depth + 1);
  return result;
}

/** Arrays or objects nested `depth` levels (the gateway takes 100). */
export function nested(depth: number, kind: 'array' | 'object'): unknown {
  let value: unknown = 1;
  for (let level = 0; level < depth; level++) value = kind === 'array' ? [value] : { a: value };
  return value;
}

/** An array of `length` copies of a wrong element (the 1.5M-element body of defect 2, smaller). */
export function hugeWrongArray(random: Random): unknown[] {
  // No number: an array of integers is a valid token-id input for embeddings.
  return new Array(random.int(10_000, 100_000)).fill(random.pick([null, true, {}, [], '', { role: 7 }]));
}
