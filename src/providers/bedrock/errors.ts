import type { GatewayError } from '../../core/errors.ts';
import type { UpstreamResponse } from '../../core/http-client.ts';
import { parseRetryAfter } from '../_shared/retry-after.ts';
import { errorFromStatus, readErrorBody, type ProviderErrorDetail, type UpstreamSource } from '../_shared/upstream-error.ts';

/**
 * The HTTP status of each Bedrock Runtime error type, for errors that come without one (an
 * exception frame mid-stream) and for the one whose status misleads: ServiceQuotaExceeded is a
 * 400 on the wire but a quota, which another attempt or provider may not hit, so it is counted
 * as a 429. Statuses from the operations' "Errors" sections
 * (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html#API_runtime_Converse_Errors,
 * API_runtime_ConverseStreamOutput.html). Keys are lower-case: event-stream exception frames
 * name the member (`throttlingException`), HTTP errors the shape (`ThrottlingException`).
 */
const statusByErrorType: Readonly<Record<string, number>> = {
  accessdeniedexception: 403,
  internalserverexception: 500,
  modelerrorexception: 424,
  modelnotreadyexception: 429,
  modelstreamerrorexception: 424,
  modeltimeoutexception: 408,
  resourcenotfoundexception: 404,
  servicequotaexceededexception: 429,
  serviceunavailableexception: 503,
  throttlingexception: 429,
  validationexception: 400,
};

/**
 * The error type as the SDK finds it (`loadRestJsonErrorCode` in @aws-sdk/core): the
 * `x-amzn-errortype` header, else the body's `code` or `__type`; values like
 * `ValidationException:http://internal.amazon.com/coral/com.amazon.bedrock/` or
 * `com.amazonaws.bedrockruntime#ThrottlingException` are cut down to the name.
 */
export function errorType(headers: UpstreamResponse['headers'], body: unknown): string | undefined {
  const header = headers['x-amzn-errortype'];
  const fields = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  const raw = (Array.isArray(header) ? header[0] : header) ?? stringField(fields.code) ?? stringField(fields.__type);
  if (raw === undefined) return undefined;
  let name = raw.split(',')[0]!.split(':')[0]!;
  if (name.includes('#')) name = name.split('#')[1]!;
  return name.trim() || undefined;
}

function stringField(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** Bedrock error bodies: `{"message": "..."}` (some AWS front ends write `Message`). */
export function errorMessage(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const fields = body as Record<string, unknown>;
  return stringField(fields.message) ?? stringField(fields.Message);
}

/**
 * A non-2xx answer → GatewayError, with Bedrock's message and error type (the shared mapper
 * recognises "Input is too long" and "too many tokens" as context-window overflows). Reads the body.
 */
export async function errorFromBedrockResponse(response: UpstreamResponse, source: UpstreamSource): Promise<GatewayError> {
  const { json: body, textMessage } = await readErrorBody(response, source);
  const type = errorType(response.headers, body);
  const message = body === undefined ? textMessage : errorMessage(body);
  const status = type?.toLowerCase() === 'servicequotaexceededexception' ? 429 : unusableModel(response.status, type, message) ? 404 : response.status;
  return errorFromStatus(status, source, detail(message, type), parseRetryAfter(response.headers));
}

/**
 * ValidationExceptions that say the configured model id cannot be called as it is, whatever the
 * request: "The provided model identifier is invalid." (GoogleCloudPlatform/kubectl-ai#515),
 * "Invocation of model ID … with on-demand throughput isn't supported. Retry your request with
 * the ID or ARN of an inference profile…" and "The provided model doesn't support on-demand
 * throughput." (langchain-ai/langchain-aws#1019, mlcommons/modelbench#1654), "This action doesn't
 * support the model that you provided." (an embedding model asked to chat). They are the
 * deployment's fault, not the caller's: counted as a 404 (the model is not there), so the route's
 * next candidate answers instead of the caller getting a 400.
 */
const unusableModelPattern = /provided model identifier is invalid|on-demand throughput|action doesn.t support the model/i;

function unusableModel(status: number, type: string | undefined, message: string | undefined): boolean {
  return status === 400 && type?.toLowerCase() === 'validationexception' && message !== undefined && unusableModelPattern.test(message);
}

/** An exception frame mid-stream (`:exception-type` and its `{message}` payload) → GatewayError. */
export function errorFromException(type: string | undefined, message: string | undefined, source: UpstreamSource): GatewayError {
  const status = (type ? statusByErrorType[type.toLowerCase()] : undefined) ?? 500;
  return errorFromStatus(status, source, detail(message, type));
}

/** The message as callers see it, led by the error type (`ThrottlingException: Too many requests…`). */
function detail(message: string | undefined, type: string | undefined): ProviderErrorDetail {
  const text = [type, message].filter((part) => part !== undefined && part !== '').join(': ');
  return { ...(text !== '' ? { message: text } : {}), ...(type ? { code: type } : {}) };
}
