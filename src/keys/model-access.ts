/**
 * A key's allowed models: globs over the model or route id a client sends (`fast`, `gpt-*`,
 * `oai/*`), where `*` matches any run of characters (`/` included) and `?` one character.
 * Compiled once per key into one regular expression, so the per-request check is a single test.
 */

/** Checks a model or route id against an allow-list. */
export type ModelAccess = (name: string) => boolean;

const allowAll: ModelAccess = () => true;

/** Compiles globs; no list (or an empty one) allows every model. */
export function compileModelAccess(globs: readonly string[] | null | undefined): ModelAccess {
  if (!globs || globs.length === 0 || globs.includes('*')) return allowAll;
  const pattern = new RegExp(`^(?:${globs.map(globToSource).join('|')})$`);
  return (name) => pattern.test(name);
}

/** Both lists must allow the model (a key's and its team's). */
export function bothAllow(first: ModelAccess, second: ModelAccess): ModelAccess {
  if (first === allowAll) return second;
  if (second === allowAll) return first;
  return (name) => first(name) && second(name);
}

/** One glob as a matcher (per-model limits are keyed by glob). */
export function compileGlob(glob: string): ModelAccess {
  const pattern = new RegExp(`^${globToSource(glob)}$`);
  return (name) => pattern.test(name);
}

/**
 * One glob's matcher, compiled at its first use and kept (the globs of `model_limits` are few and
 * come from keys and teams): no regular expression is compiled per request.
 */
export function globMatchers(): (glob: string) => ModelAccess {
  const compiled = new Map<string, ModelAccess>();
  return (glob) => {
    let matcher = compiled.get(glob);
    if (!matcher) {
      matcher = compileGlob(glob);
      compiled.set(glob, matcher);
    }
    return matcher;
  };
}

function globToSource(glob: string): string {
  let source = '';
  for (const character of glob) {
    if (character === '*') source += '.*';
    else if (character === '?') source += '.';
    else source += character.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return source;
}
