/**
 * `${VAR}` and `${VAR:-default}` in config string values, read from the environment.
 * Interpolation runs on parsed YAML scalars, never on the file text, so a variable's value
 * cannot change the document's structure. A value that is nothing but a reference to an unset
 * variable (without default) leaves the field unset, so `master_key: ${SWITCHBOARD_MASTER_KEY}`
 * means "no master key" when the variable is absent.
 */

const reference = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;
const wholeReference = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$/;

/** Replaces references in every string of a parsed YAML tree. */
export function interpolate(value: unknown, environment: NodeJS.ProcessEnv): unknown {
  if (typeof value === 'string') return interpolateString(value, environment);
  if (Array.isArray(value)) {
    return value.map((item) => interpolate(item, environment)).filter((item) => item !== undefined);
  }
  if (value !== null && typeof value === 'object') {
    const result: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      const replaced = interpolate(item, environment);
      if (replaced !== undefined) result[key] = replaced;
    }
    return result;
  }
  return value;
}

function interpolateString(text: string, environment: NodeJS.ProcessEnv): string | undefined {
  if (!text.includes('${')) return text;
  const whole = wholeReference.exec(text);
  if (whole) {
    const found = environment[whole[1]!];
    return found === undefined || found === '' ? undefined : found;
  }
  return text.replace(reference, (_match, name: string, fallback: string | undefined) => {
    const found = environment[name];
    if (found !== undefined && found !== '') return found;
    return fallback ?? '';
  });
}
