import type { ProviderSettings } from '../../core/provider-adapter.ts';

/** Takes the secrets out of a provider's text. */
export type Redact = (text: string) => string;

/** What a secret is replaced with. */
export const redactionMark = '[redacted]';

/**
 * Known secrets shorter than this are not looked for: a value that short is no real credential
 * (Ollama configs often say `api_key: ollama`), and cutting it out of every message would mangle
 * them.
 */
const shortestSecret = 8;

/**
 * Credentials by their shape, for those this provider was not configured with (a key a proxy
 * added, another provider's key in a shared upstream): an Authorization scheme's credential; the
 * value after a name that holds a credential (`?key=`, `api_key=`, `x-goog-api-key: `,
 * `"apiKey": "`, SigV4's `Signature=`); and the documented key prefixes (OpenAI and DeepSeek
 * `sk-`, Anthropic `sk-ant-`, OpenRouter `sk-or-`, Groq `gsk_`, Google `AIza`, AWS access key ids
 * `AKIA`/`ASIA`, Bedrock API keys `ABSK` and `bedrock-api-key-`). Values stop at quotes,
 * backslashes, brackets and separators, so JSON text stays JSON and the mark itself is never
 * taken for a value. Compiled once.
 */
const credentialShapes: ReadonlyArray<[RegExp, string]> = [
  [/\b(Bearer|Basic|Token)(\s+)[A-Za-z0-9._~+/=-]{8,}/gi, `$1$2${redactionMark}`],
  [
    /\b((?:x-goog-|x-)?(?:api[-_]?key|apikey|key|access[-_]?token|refresh[-_]?token|id[-_]?token|auth[-_]?token|session[-_]?token|security[-_]?token|x-amz-security-token|token|secret|client[-_]?secret|secret[-_]?access[-_]?key|password|passwd|signature|sig)(?:["']?\s*[:=]\s*["']?))[^\s"'&,;\\<>()[\]{}]{4,}/gi,
    `$1${redactionMark}`,
  ],
  [/\b(?:sk-[A-Za-z0-9_-]{16,}|gsk_[A-Za-z0-9]{20,}|AIza[0-9A-Za-z_-]{30,}|(?:AKIA|ASIA)[0-9A-Z]{16}|ABSK[A-Za-z0-9+/=]{20,}|bedrock-api-key-[A-Za-z0-9+/=_-]{10,})/g, redactionMark],
];

/** Removes whatever looks like a credential, configured or not. */
export function redactCredentialShapes(text: string): string {
  let result = text;
  for (const [pattern, replacement] of credentialShapes) result = result.replace(pattern, replacement);
  return result;
}

/**
 * A redactor for one provider: its own secrets, exactly; the body of each one that starts with a
 * documented key prefix, without it (`sk-proj-abc...` echoed as `abc...`); any run of
 * `shortestRun` or more characters of a secret (an echo cut short, or masked at one end); then
 * anything shaped like a credential. The patterns are compiled here, once per adapter, never per
 * request, and only run on the text of a failure.
 */
export function createRedactor(secrets: Iterable<string | undefined>): Redact {
  const configured = [...new Set([...secrets].filter((secret): secret is string => secret !== undefined && secret.length >= shortestSecret))];
  if (configured.length === 0) return redactCredentialShapes;
  const bodies = configured.map((secret) => secret.slice(knownPrefixLength(secret))).filter((body) => body.length >= shortestSecret);
  const known = [...new Set([...configured, ...bodies])]
    // Longest first, so a secret that holds another is taken out whole.
    .sort((left, right) => right.length - left.length);
  const pattern = new RegExp(known.map(escapeRegExp).join('|'), 'g');
  const redactRuns = createRunRedactor(configured);
  if (redactRuns === undefined) return (text) => redactCredentialShapes(text.replace(pattern, redactionMark));
  return (text) => redactCredentialShapes(redactRuns(text).replace(pattern, redactionMark));
}

/**
 * The documented prefixes of provider keys, longest first (those `credentialShapes` knows, and
 * the longer forms they take: OpenAI project, service-account and admin keys, Anthropic API and
 * admin keys, OpenRouter's versioned keys). What follows one is the key's own part.
 */
const keyPrefixes = ['bedrock-api-key-', 'sk-ant-admin01-', 'sk-ant-api03-', 'sk-svcacct-', 'sk-or-v1-', 'sk-admin-', 'sk-proj-', 'sk-ant-', 'sk-or-', 'gsk_', 'AIza', 'AKIA', 'ASIA', 'ABSK', 'sk-'];

/** The length of the documented key prefix `secret` starts with (0 for none). */
function knownPrefixLength(secret: string): number {
  for (const prefix of keyPrefixes) if (secret.startsWith(prefix)) return prefix.length;
  return 0;
}

/**
 * The shortest run of a secret's characters taken for the secret: 16 random characters are no
 * word or number a provider's message would hold otherwise, and a key echoed in part (the tail
 * that identifies it, or all of it but a masked end) still gives it away.
 */
const shortestRun = 16;

/**
 * Secrets longer than this (a token of kilobytes in a header) are looked for by a window every
 * `longSecretStride` characters, not at each one: the pattern stays small and quick, and any run of
 * `shortestRun + longSecretStride - 1` characters of such a secret is still found.
 */
const longSecret = 512;
const longSecretStride = 16;

/**
 * Takes out of a text every run of `shortestRun` or more characters that appears in one of the
 * `secrets`: one pattern of the secrets' windows of `shortestRun` characters finds where a run
 * starts (the leftmost match: a run reaching further left would have matched there), and the run
 * is then followed along the secret to its last matching character. Windows lying inside a
 * documented prefix are left out (`bedrock-api-key-` alone is no secret). Undefined when no
 * secret is long enough to have a window.
 */
function createRunRedactor(secrets: readonly string[]): Redact | undefined {
  const windows = new Map<string, Array<{ secret: string; start: number }>>();
  for (const secret of secrets) {
    const stride = secret.length > longSecret ? longSecretStride : 1;
    for (let start = Math.max(0, knownPrefixLength(secret) - shortestRun + 1); start + shortestRun <= secret.length; start += stride) {
      const window = secret.slice(start, start + shortestRun);
      const places = windows.get(window);
      if (places) places.push({ secret, start });
      else windows.set(window, [{ secret, start }]);
    }
  }
  if (windows.size === 0) return undefined;
  const pattern = new RegExp([...windows.keys()].map(escapeRegExp).join('|'), 'g');
  return (text) => {
    pattern.lastIndex = 0;
    let match = pattern.exec(text);
    if (match === null) return text;
    let result = '';
    let copied = 0;
    while (match !== null) {
      let from = match.index;
      let to = from + shortestRun;
      for (const { secret, start } of windows.get(match[0])!) {
        // Along the secret both ways (left only matters for a long secret's sparse windows).
        let left = match.index;
        let right = match.index + shortestRun;
        for (let index = start - 1; left > copied && index >= 0 && text.charCodeAt(left - 1) === secret.charCodeAt(index); index--) left--;
        for (let index = start + shortestRun; right < text.length && index < secret.length && text.charCodeAt(right) === secret.charCodeAt(index); index++) right++;
        if (right - left > to - from) {
          from = left;
          to = right;
        }
      }
      result += text.slice(copied, from) + redactionMark;
      copied = to;
      pattern.lastIndex = to;
      match = pattern.exec(text);
    }
    return result + text.slice(copied);
  };
}

/** Headers that carry protocol versions and options, never a secret. */
const plainHeaders = new Set(['accept', 'content-type', 'user-agent', 'anthropic-version', 'anthropic-beta', 'openai-beta']);

/** Option names that hold credentials (Bedrock's `aws_secret_access_key`, `aws_session_token`, ...). */
const secretOptionName = /key|secret|token|password/i;

/**
 * Every secret a provider was configured with: its API key; the value of every configured header
 * but a few protocol ones (a header a user adds is as likely a credential as not, and taking a
 * harmless value out of a message costs nothing), with an Authorization scheme's credential on
 * its own too; and credential options (Bedrock's AWS keys and session token).
 */
export function configuredSecrets(settings: ProviderSettings): string[] {
  const secrets: string[] = [];
  if (settings.apiKey) secrets.push(settings.apiKey);
  for (const [name, value] of Object.entries(settings.headers)) {
    if (plainHeaders.has(name.toLowerCase())) continue;
    secrets.push(value);
    const credential = /^\s*(?:Bearer|Basic|Token)\s+(\S+)\s*$/i.exec(value)?.[1];
    if (credential) secrets.push(credential);
  }
  for (const [name, value] of Object.entries(settings.options)) {
    if (typeof value === 'string' && secretOptionName.test(name)) secrets.push(value);
  }
  return secrets;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
