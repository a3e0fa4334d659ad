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
 * A redactor for one provider: its own secrets, exactly, then anything shaped like a credential.
 * The pattern of its secrets is compiled here, once per adapter, never per request.
 */
export function createRedactor(secrets: Iterable<string | undefined>): Redact {
  const known = [...new Set([...secrets].filter((secret): secret is string => secret !== undefined && secret.length >= shortestSecret))]
    // Longest first, so a secret that holds another is taken out whole.
    .sort((left, right) => right.length - left.length);
  if (known.length === 0) return redactCredentialShapes;
  const pattern = new RegExp(known.map(escapeRegExp).join('|'), 'g');
  return (text) => redactCredentialShapes(text.replace(pattern, redactionMark));
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
