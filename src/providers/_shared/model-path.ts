import { GatewayError } from '../../core/errors.ts';

/** What a provider accepts as the model name it puts in its URL paths. */
export interface ModelNameRule {
  /** Matches the names the provider accepts (compiled once, with the adapter's module). */
  pattern: RegExp;
  /** The rule in words, for the caller's 400: `letters, digits, "-", "_" and "."`. */
  description: string;
  /** What the provider calls the name: "Gemini model name", "Azure OpenAI deployment name". */
  kind: string;
}

/**
 * A model name that goes into a URL path, checked and encoded. The name comes from the caller
 * (`<provider>/<model>` reaches any model of a configured provider), so a name the provider could
 * not have given (`../../evil/path?`) is refused with a 400 before anything is sent: unchecked,
 * its dot segments and `?` would move the request, with the provider's key, to another path of
 * the provider's host. What passes is percent-encoded as a path segment all the same.
 */
export function modelPathSegment(model: string, rule: ModelNameRule): string {
  if (!rule.pattern.test(model)) {
    const shown = model.length > 100 ? `${model.slice(0, 100)}…` : model;
    throw new GatewayError('SB_ERR_INVALID_REQUEST', `${JSON.stringify(shown)} is not a valid ${rule.kind}: it must be ${rule.description}.`, { param: 'model' });
  }
  return encodeURIComponent(model);
}
