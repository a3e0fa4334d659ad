import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';

/** AWS credentials the simulator knows. */
export interface SimulatorCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** A rejected request, as AWS answers it: 403 with the error type and message. */
export interface AuthFailure {
  errorType: string;
  message: string;
}

// `AWS4-HMAC-SHA256 Credential=<key>/<date>/<region>/<service>/aws4_request, SignedHeaders=<a;b>, Signature=<hex>`
const authorizationPattern = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$/;

/**
 * Checks a SigV4-signed request the way AWS does: parses the Authorization header, recomputes the
 * signature over the request as received (raw path, the signed headers' values, the body) with
 * the same signing library and the simulator's secret, and compares. Error types and messages are
 * AWS's own for these failures.
 */
export async function verifySignature(
  request: IncomingMessage,
  body: Buffer,
  options: { region: string; credentials: SimulatorCredentials },
): Promise<AuthFailure | undefined> {
  const authorization = String(request.headers.authorization ?? '');
  if (authorization === '') return { errorType: 'MissingAuthenticationTokenException', message: 'Missing Authentication Token' };
  const match = authorizationPattern.exec(authorization);
  if (!match) {
    return { errorType: 'IncompleteSignatureException', message: `Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters.` };
  }
  const [, accessKeyId, day, region, service, signedHeaderList] = match as unknown as [string, string, string, string, string, string, string];
  if (accessKeyId !== options.credentials.accessKeyId) {
    return { errorType: 'UnrecognizedClientException', message: 'The security token included in the request is invalid.' };
  }
  if (region !== options.region || service !== 'bedrock') {
    return { errorType: 'InvalidSignatureException', message: `Credential should be scoped to a valid region and to service 'bedrock'.` };
  }
  const amzDate = String(request.headers['x-amz-date'] ?? '');
  const signingDate = parseAmzDate(amzDate);
  if (!signingDate || amzDate.slice(0, 8) !== day) {
    return { errorType: 'IncompleteSignatureException', message: 'Date must be in ISO-8601 basic format (x-amz-date) and match the credential scope.' };
  }
  if (Math.abs(Date.now() - signingDate.getTime()) > 15 * 60 * 1000) {
    return { errorType: 'InvalidSignatureException', message: 'Signature expired: the request time is more than 15 minutes off the server time.' };
  }
  const signedHeaders = signedHeaderList.split(';');
  for (const required of ['host', 'x-amz-date']) {
    if (!signedHeaders.includes(required)) return { errorType: 'InvalidSignatureException', message: `'${required}' must be a signed header.` };
  }
  if ((options.credentials.sessionToken ?? '') !== String(request.headers['x-amz-security-token'] ?? '')) {
    return { errorType: 'UnrecognizedClientException', message: 'The security token included in the request is invalid.' };
  }
  const declaredHash = request.headers['x-amz-content-sha256'];
  if (declaredHash !== undefined && declaredHash !== createHash('sha256').update(body).digest('hex')) {
    return { errorType: 'InvalidSignatureException', message: 'The provided x-amz-content-sha256 header does not match what was computed.' };
  }
  const headers: Record<string, string> = {};
  for (const name of signedHeaders) {
    const value = request.headers[name];
    if (value === undefined) return { errorType: 'InvalidSignatureException', message: `Signed header '${name}' is missing from the request.` };
    headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  const url = new URL(request.url ?? '/', 'http://simulator');
  const signer = new SignatureV4({ service: 'bedrock', region, credentials: options.credentials, sha256: Sha256, applyChecksum: false });
  const expected = await signer.sign(
    { method: request.method ?? 'POST', protocol: 'http:', hostname: headers.host ?? '', path: url.pathname, query: Object.fromEntries(url.searchParams), headers, body: body.toString('utf8') },
    { signingDate },
  );
  if (!sameText(String(expected.headers.authorization ?? ''), authorization)) {
    return {
      errorType: 'InvalidSignatureException',
      message: 'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
    };
  }
  return undefined;
}

function parseAmzDate(value: string): Date | undefined {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!match) return undefined;
  const [, year, month, day, hour, minute, second] = match;
  return new Date(`${year}-${month}-${day}T${hour}:${minute}:${second}Z`);
}

function sameText(left: string, right: string): boolean {
  const a = Buffer.from(left);
  const b = Buffer.from(right);
  return a.length === b.length && timingSafeEqual(a, b);
}
