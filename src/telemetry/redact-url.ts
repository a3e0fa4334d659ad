/**
 * Request URLs as they may be logged: the value of every query parameter that carries a
 * credential is replaced. Clients put keys in query strings (`?api_key=`, `?key=` as Google's
 * APIs take it, `?token=`), and a URL in a log line would keep them.
 */

/** `name=value` pairs of a query string (compiled once). */
const queryParameter = /([?&;])([^=&;#]*)=([^&;#]*)/g;

/**
 * Parameter names that hold a credential: `key`, `api_key`, `api-key`, `apikey`, `access_token`,
 * `token`, `secret`, `client_secret`, `password`, `sig`, `signature`, and presigned URLs'
 * `X-Amz-Signature`, `X-Amz-Credential`, `X-Amz-Security-Token`.
 */
const secretName = /(?:^|[-_.])(?:key|apikey|token|secret|password|passwd|sig|signature|credential|auth|authorization)$/i;

/**
 * A virtual key's secret (`sb-` and 43 base64url characters) in a URL: /admin/keys/{id} also
 * takes the secret, as LiteLLM's key endpoints do. Its last four characters stay, as in its hint.
 * Anywhere, with its dash percent-encoded too: a secret pasted with a stray character (`%0A`,
 * `%20`, a quote, `Bearer%20`) or given as `?key_id=` was logged whole (an outside probe).
 */
const secretInUrl = /sb(?:-|%2D)[A-Za-z0-9_-]{39,}([A-Za-z0-9_-]{4})/gi;

/** The URL with the values of its credential parameters, and key secrets anywhere in it, replaced by `[redacted]`. */
export function redactUrl(url: string): string {
  // A secret has no `?` in it, nor does its replacement: path and query are cut after.
  const redacted = url.replace(secretInUrl, 'sb-[redacted]$1');
  const queryStart = redacted.indexOf('?');
  if (queryStart < 0) return redacted;
  const query = redacted.slice(queryStart).replace(queryParameter, (pair: string, separator: string, name: string) =>
    secretName.test(decodeName(name)) ? `${separator}${name}=[redacted]` : pair,
  );
  return redacted.slice(0, queryStart) + query;
}

function decodeName(name: string): string {
  try {
    return decodeURIComponent(name.replaceAll('+', ' '));
  } catch {
    return name;
  }
}
