import type { EmbeddingRequest, EmbeddingResult } from '../../core/embedding.ts';
import { GatewayError, toGatewayError, withUsage } from '../../core/errors.ts';
import { invalidAnswer, isJsonObject, vectorListProblem } from '../_shared/answer-shape.ts';
import { embeddingTexts } from '../_shared/embedding-request.ts';
import { float32Base64 } from '../_shared/float32-base64.ts';
import type { CohereEmbeddingBody, TitanEmbeddingBody } from './wire-types.ts';

/** One InvokeModel call: the model's JSON body → its JSON answer and the token count header. */
export type InvokeModel = (body: Record<string, unknown>) => Promise<{ body: unknown; inputTokens?: number }>;

/** Embedding families by model id (also inside inference-profile ids and ARNs). */
const titanV2 = /(?:^|[./])amazon\.titan-embed-text-v2/;
const titanV1 = /(?:^|[./])amazon\.titan-embed-(?:text-v1|g1-text)/;
const cohere = /(?:^|[./])cohere\.embed-/;
const cohereV4 = /(?:^|[./])cohere\.embed-v4/;

/** Cohere Embed takes at most 96 texts per call (https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-embed.html). */
const cohereBatch = 96;
/**
 * The sizes each family takes: Titan v2 `dimensions` 1024, 512 or 256
 * (model-parameters-titan-embed-text.html), Cohere Embed v4 `output_dimension` 256, 512, 1024 or
 * 1536 (model-parameters-embed-v4.html). Other values are Bedrock's 400; refused here before
 * any call, so that the route's next candidate can answer.
 */
const titanV2Dimensions: readonly number[] = [256, 512, 1024];
const cohereV4Dimensions: readonly number[] = [256, 512, 1024, 1536];
/** Cohere Embed v3 takes texts of 0 to 2048 characters (model-parameters-embed.html, "Characters"). */
const cohereV3MaxCharacters = 2048;
/** Titan embeds one text per call; this many calls run at once. */
const titanConcurrency = 4;

/**
 * Embeddings through InvokeModel (`POST /model/{modelId}/invoke`, the model's own body format):
 * - Amazon Titan Text Embeddings v2 (`{inputText, dimensions?, normalize: true}`, one call per
 *   input; normalised like OpenAI's vectors) and v1/G1 (`{inputText}`, no dimensions)
 *   (https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-titan-embed-text.html);
 * - Cohere Embed (`{texts, input_type, embedding_types: ["float"]}`, up to 96 texts per call;
 *   `output_dimension` on v4 only) (model-parameters-embed.html, model-parameters-embed-v4.html).
 * Other models are a 400: their body format is unknown here. `user` has no field in either
 * family and is not sent.
 */
export async function embedWithBedrock(request: EmbeddingRequest, model: string, provider: string, invoke: InvokeModel): Promise<EmbeddingResult> {
  embeddingTexts(request, 'Bedrock');
  let vectors: unknown[];
  let inputTokens: number | undefined;
  if (titanV2.test(model) || titanV1.test(model)) {
    ({ vectors, inputTokens } = await embedWithTitan(request, model, invoke));
  } else if (cohere.test(model)) {
    ({ vectors, inputTokens } = await embedWithCohere(request, model, invoke));
  } else {
    throw new GatewayError('SB_ERR_INVALID_REQUEST', `Bedrock model "${model}" is not an embedding model Switchboard can call (amazon.titan-embed-text-v1/v2, cohere.embed-*).`, { param: 'model' });
  }
  // One vector per input, each a list of numbers: a 200 without them is no answer.
  const problem = vectorListProblem(vectors, { name: 'embeddings', count: request.input.length, entry: (index) => `the embedding of input ${index}` });
  if (problem) throw invalidAnswer(provider, 'an embeddings answer', problem);
  const floats = vectors as number[][];
  const estimated = inputTokens === undefined;
  return {
    model,
    // base64 is the openai SDK's default; Bedrock returns floats only.
    embeddings: request.encodingFormat === 'base64' ? floats.map(float32Base64) : floats,
    usage: {
      inputTokens: inputTokens ?? request.input.reduce((sum, text) => sum + countedTokens(text), 0),
      outputTokens: 0,
      ...(estimated ? { estimated } : {}),
    },
  };
}

async function embedWithTitan(request: EmbeddingRequest, model: string, invoke: InvokeModel): Promise<{ vectors: unknown[]; inputTokens?: number }> {
  const v2 = titanV2.test(model);
  if (!v2 && request.dimensions !== undefined) {
    throw new GatewayError('SB_ERR_INVALID_REQUEST', `Bedrock model "${model}" has a fixed size; dimensions is not supported by it (Titan Text Embeddings v2 takes 256, 512 or 1024).`, { param: 'dimensions' });
  }
  if (v2 && request.dimensions !== undefined && !titanV2Dimensions.includes(request.dimensions)) {
    throw new GatewayError('SB_ERR_INVALID_REQUEST', `Titan Text Embeddings v2 takes dimensions 256, 512 or 1024; ${request.dimensions} is not supported by this model's provider.`, { param: 'dimensions' });
  }
  const vectors: unknown[] = new Array<unknown>(request.input.length);
  let inputTokens: number | undefined = 0;
  /** Tokens of the calls answered, counted where Bedrock did not say: what a failure leaves billed. */
  let answeredTokens = 0;
  let answered = 0;
  let failure: unknown;
  let next = 0;
  const worker = async () => {
    // A call that fails stops the others from starting new ones: each is a call Bedrock bills.
    while (next < request.input.length && failure === undefined) {
      const index = next++;
      const body = v2
        ? { inputText: request.input[index]!, ...(request.dimensions !== undefined ? { dimensions: request.dimensions } : {}), normalize: true }
        : { inputText: request.input[index]! };
      let answer: Awaited<ReturnType<InvokeModel>>;
      try {
        answer = await invoke(body);
      } catch (error) {
        failure ??= error;
        return;
      }
      const parsed: TitanEmbeddingBody = isJsonObject(answer.body) ? answer.body : {};
      vectors[index] = parsed.embedding;
      const tokens = parsed.inputTextTokenCount ?? answer.inputTokens;
      inputTokens = tokens === undefined || inputTokens === undefined ? undefined : inputTokens + tokens;
      answeredTokens += tokens ?? countedTokens(request.input[index]!);
      answered += 1;
    }
  };
  await Promise.all(Array.from({ length: Math.min(titanConcurrency, request.input.length) }, worker));
  // The calls answered before (or beside) the one that failed were billed: their usage goes with
  // the failure, so that the attempt's ledger entry and the row count them (src/router/executor.ts `spend`).
  if (failure !== undefined) throw billedSoFar(failure, answered, answeredTokens, inputTokens === undefined);
  return { vectors, ...(inputTokens !== undefined ? { inputTokens } : {}) };
}

/** Our count of a text's tokens where Bedrock gives none (as embedWithBedrock counts them). */
function countedTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/** The error of a failed call, carrying the usage of the calls of the same request answered before it (none: the error as it is). */
function billedSoFar(failure: unknown, answered: number, tokens: number, estimated: boolean): unknown {
  if (answered === 0) return failure;
  return withUsage(toGatewayError(failure), { inputTokens: tokens, outputTokens: 0, ...(estimated ? { estimated } : {}) });
}

async function embedWithCohere(request: EmbeddingRequest, model: string, invoke: InvokeModel): Promise<{ vectors: unknown[]; inputTokens?: number }> {
  const v4 = cohereV4.test(model);
  if (!v4 && request.dimensions !== undefined) {
    throw new GatewayError('SB_ERR_INVALID_REQUEST', `Bedrock model "${model}" has a fixed size; dimensions is not supported by it (Cohere Embed v4 takes 256, 512, 1024 or 1536).`, { param: 'dimensions' });
  }
  if (v4 && request.dimensions !== undefined && !cohereV4Dimensions.includes(request.dimensions)) {
    throw new GatewayError('SB_ERR_INVALID_REQUEST', `Cohere Embed v4 takes dimensions 256, 512, 1024 or 1536; ${request.dimensions} is not supported by this model's provider.`, { param: 'dimensions' });
  }
  const tooLong = v4 ? -1 : request.input.findIndex((text) => text.length > cohereV3MaxCharacters);
  if (tooLong >= 0) {
    throw new GatewayError('SB_ERR_INVALID_REQUEST', `Cohere Embed v3 on Bedrock takes texts of at most ${cohereV3MaxCharacters} characters; input ${tooLong} has ${request.input[tooLong]!.length}.`, { param: 'input' });
  }
  const vectors: unknown[] = [];
  let inputTokens: number | undefined = 0;
  let answeredTokens = 0;
  let answered = 0;
  for (let offset = 0; offset < request.input.length; offset += cohereBatch) {
    const texts = request.input.slice(offset, offset + cohereBatch);
    let answer: Awaited<ReturnType<InvokeModel>>;
    try {
      answer = await invoke({
        texts,
        // input_type is required; documents are the common case when the caller gives no hint.
        input_type: request.inputType ?? 'search_document',
        embedding_types: ['float'],
        ...(v4 && request.dimensions !== undefined ? { output_dimension: request.dimensions } : {}),
      });
    } catch (error) {
      // The batches answered before this one were billed (as embedWithTitan's calls).
      throw billedSoFar(error, answered, answeredTokens, inputTokens === undefined);
    }
    answered += 1;
    answeredTokens += answer.inputTokens ?? texts.reduce((sum, text) => sum + countedTokens(text), 0);
    const embeddings = isJsonObject(answer.body) ? (answer.body as CohereEmbeddingBody).embeddings : undefined;
    const batch: unknown = Array.isArray(embeddings) ? embeddings : isJsonObject(embeddings) ? embeddings.float : undefined;
    if (Array.isArray(batch)) vectors.push(...(batch as unknown[]));
    inputTokens = answer.inputTokens === undefined || inputTokens === undefined ? undefined : inputTokens + answer.inputTokens;
  }
  return { vectors, ...(inputTokens !== undefined ? { inputTokens } : {}) };
}
