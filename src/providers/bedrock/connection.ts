import type { SignatureV4 } from '@smithy/signature-v4';
import type { ProviderSettings } from '../../core/provider-adapter.ts';
import { modelPathSegment, type ModelNameRule } from '../_shared/model-path.ts';

/** The environment variables this adapter reads (once, when the adapter is created). */
export type Environment = Readonly<Record<string, string | undefined>>;

/** Adds the authentication headers to one request, for the exact URL, headers and body sent. */
export type Authorize = (url: URL, headers: Record<string, string>, body: string) => Promise<Record<string, string>>;

/** Where requests go and how they are authenticated. */
export interface BedrockConnection {
  /** `https://bedrock-runtime.<region>.amazonaws.com`, or the configured base_url. */
  baseUrl: string;
  authorize: Authorize;
  /** `sigv4` or `bearer`, for tests and error messages (never the secret). */
  scheme: 'sigv4' | 'bearer';
  /** The credentials in use, wherever they came from, for the adapter's redactor. */
  secrets: string[];
}

/**
 * Resolves region, endpoint and credentials for one configured provider. Config beats the
 * environment, and a Bedrock API key beats signing at each level:
 *   1. config `api_key` (a Bedrock API key, sent as `Authorization: Bearer`),
 *   2. config `aws_access_key_id` + `aws_secret_access_key` (+ `aws_session_token`),
 *   3. AWS_BEARER_TOKEN_BEDROCK,
 *   4. AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN).
 * Region: config `region`, else AWS_REGION, else AWS_DEFAULT_REGION. API keys:
 * https://docs.aws.amazon.com/bedrock/latest/userguide/api-keys-use.html; endpoints:
 * https://docs.aws.amazon.com/general/latest/gr/bedrock.html. Throws (at startup) when something
 * needed is missing; messages name the settings, never their values.
 */
export function resolveConnection(settings: ProviderSettings, environment: Environment): BedrockConnection {
  const option = (name: string): string | undefined => {
    const value = settings.options[name];
    return typeof value === 'string' && value !== '' ? value : undefined;
  };
  const fromEnvironment = (name: string): string | undefined => environment[name] || undefined;
  const region = option('region') ?? fromEnvironment('AWS_REGION') ?? fromEnvironment('AWS_DEFAULT_REGION');
  const problem = (text: string) => new Error(`Provider "${settings.id}" (bedrock): ${text}`);
  const needRegion = (why: string): string => {
    if (region === undefined) throw problem(`no AWS region: set "region" in its config, or AWS_REGION / AWS_DEFAULT_REGION (${why})`);
    return region;
  };
  const baseUrl = (settings.baseUrl ?? `https://bedrock-runtime.${needRegion('it names the endpoint')}.amazonaws.com`).replace(/\/+$/, '');

  const bearer = settings.apiKey || undefined;
  if (bearer !== undefined) return { baseUrl, authorize: bearerAuthorizer(bearer), scheme: 'bearer', secrets: [bearer] };
  const configKeys = keyPair(option('aws_access_key_id'), option('aws_secret_access_key'), option('aws_session_token'), 'aws_access_key_id and aws_secret_access_key in its config', problem);
  if (configKeys) return { baseUrl, authorize: sigV4Authorizer(needRegion('requests are signed for a region'), configKeys), scheme: 'sigv4', secrets: credentialSecrets(configKeys) };
  const environmentBearer = fromEnvironment('AWS_BEARER_TOKEN_BEDROCK');
  if (environmentBearer !== undefined) return { baseUrl, authorize: bearerAuthorizer(environmentBearer), scheme: 'bearer', secrets: [environmentBearer] };
  const environmentKeys = keyPair(fromEnvironment('AWS_ACCESS_KEY_ID'), fromEnvironment('AWS_SECRET_ACCESS_KEY'), fromEnvironment('AWS_SESSION_TOKEN'), 'AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY', problem);
  if (environmentKeys) return { baseUrl, authorize: sigV4Authorizer(needRegion('requests are signed for a region'), environmentKeys), scheme: 'sigv4', secrets: credentialSecrets(environmentKeys) };
  throw problem(
    'no credentials: set "api_key" (a Bedrock API key) or "aws_access_key_id" and "aws_secret_access_key" in its config, or AWS_BEARER_TOKEN_BEDROCK, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY',
  );
}

interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

function keyPair(id: string | undefined, secret: string | undefined, token: string | undefined, names: string, problem: (text: string) => Error): Credentials | undefined {
  if (id === undefined && secret === undefined) return undefined;
  if (id === undefined || secret === undefined) throw problem(`${names} must be set together`);
  return { accessKeyId: id, secretAccessKey: secret, ...(token !== undefined ? { sessionToken: token } : {}) };
}

/** The access key id is no secret by itself, but it names the account: it is taken out too. */
function credentialSecrets(credentials: Credentials): string[] {
  return [credentials.accessKeyId, credentials.secretAccessKey, ...(credentials.sessionToken !== undefined ? [credentials.sessionToken] : [])];
}

function bearerAuthorizer(token: string): Authorize {
  return async (_url, headers) => ({ ...headers, authorization: `Bearer ${token}` });
}

/**
 * AWS Signature Version 4 for service `bedrock` (the signing name of bedrock-runtime, per the SDK's
 * client-bedrock-runtime endpoint ruleset). The signer is given the request exactly as it is
 * sent: the path already encoded as the SDK encodes it (see `modelPath`), the `host` header, the
 * body text. It escapes the path once more for the canonical request, as SigV4 requires for every
 * service but S3 (https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html).
 */
function sigV4Authorizer(region: string, credentials: Credentials): Authorize {
  let signer: Promise<SignatureV4> | undefined;
  return async (url, headers, body) => {
    signer ??= createSigner(region, credentials);
    const signed = await (await signer).sign({
      method: 'POST',
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port ? { port: Number(url.port) } : {}),
      path: url.pathname,
      query: {},
      headers: { ...headers, host: url.host },
      body,
    });
    return signed.headers;
  };
}

/**
 * The AWS signing libraries are loaded on the first signed request, not with the adapter: every
 * process loads every provider's module, and these take about 10 MB and 0.1 s that a gateway
 * without a signing Bedrock provider never needs (docs/decisions/0010-compiled-build-and-benchmark.md).
 */
async function createSigner(region: string, credentials: Credentials): Promise<SignatureV4> {
  const [{ SignatureV4 }, { Sha256 }] = await Promise.all([import('@smithy/signature-v4'), import('@aws-crypto/sha256-js')]);
  return new SignatureV4({ service: 'bedrock', region, credentials, sha256: Sha256 });
}

/**
 * What Bedrock Runtime takes as `modelId` (API_runtime_Converse.html, URI request parameters:
 * 1 to 2048 characters; model ids `anthropic.claude-3-5-sonnet-20240620-v1:0`, inference
 * profiles `us.anthropic.…`, ARNs `arn:aws:bedrock:us-east-1:123456789012:inference-profile/…`,
 * whose alternatives all draw on letters, digits, `.`, `-`, `_`, `:` and `/`). Starting with a
 * letter or digit, it is never a `.`/`..` path segment.
 */
const modelId: ModelNameRule = {
  pattern: /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,2047}$/,
  description: 'a Bedrock model id, inference profile id or ARN: up to 2048 letters, digits, ".", "-", "_", ":" and "/", starting with a letter or digit',
  kind: 'Bedrock model id',
};

/**
 * `/model/{modelId}/<operation>`, for a model id Bedrock could have (a 400 before any call
 * otherwise). The SDK fills the `modelId` label with `extendedEncodeURIComponent`
 * (aws-sdk-js-v3 Aws_restJson1.ts `b.p("modelId", …)`, smithy `extended-encode-uri-component.js`):
 * ids with `:` (`anthropic.claude-3-5-sonnet-20240620-v1:0`) and ARNs with `/` go as `%3A` and
 * `%2F`. For the characters a valid id holds, that is exactly encodeURIComponent (the extension
 * only adds `!'()*`, which no valid id has).
 */
export function modelPath(model: string, operation: 'converse' | 'converse-stream' | 'invoke'): string {
  return `/model/${modelPathSegment(model, modelId)}/${operation}`;
}
