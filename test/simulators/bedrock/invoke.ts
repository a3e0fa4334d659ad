import { simulatedTokens } from './answers.ts';

type Json = Record<string, unknown>;

/** An InvokeModel answer: a body and the input-token header, or a ValidationException message. */
export type InvokeResult = { body: Json; inputTokens: number } | { error: string };

/** A deterministic vector: the same text gives the same vector. */
function vector(text: string, dimensions: number): number[] {
  return Array.from({ length: dimensions }, (_, position) => ((text.length + position) % 10) / 10);
}

const extraneous = (body: Json, allowed: string[]): string | undefined => {
  const extra = Object.keys(body).find((key) => !allowed.includes(key));
  return extra === undefined ? undefined : `Malformed input request: extraneous key [${extra}] is not permitted, please reformat your input and try again.`;
};

/**
 * InvokeModel for the embedding models Switchboard calls, checked like Bedrock checks them:
 * Titan Text Embeddings v2 (model-parameters-titan-embed-text.html) and Cohere Embed v3/v4
 * (model-parameters-embed.html, model-parameters-embed-v4.html). Other models: a 400.
 */
export function invokeModel(model: string, body: Json): InvokeResult {
  if (/amazon\.titan-embed-text-v2/.test(model)) {
    const problem = extraneous(body, ['inputText', 'dimensions', 'normalize', 'embeddingTypes']);
    if (problem) return { error: problem };
    if (typeof body.inputText !== 'string' || body.inputText === '') return { error: 'Malformed input request: #: required key [inputText] not found, please reformat your input and try again.' };
    const dimensions = body.dimensions ?? 1024;
    if (![256, 512, 1024].includes(Number(dimensions))) return { error: `Malformed input request: #/dimensions: ${String(dimensions)} is not a valid enum value, please reformat your input and try again.` };
    const embedding = vector(body.inputText, Number(dimensions));
    const tokens = simulatedTokens(body.inputText);
    return { body: { embedding, inputTextTokenCount: tokens, embeddingsByType: { float: embedding } }, inputTokens: tokens };
  }
  if (/cohere\.embed-/.test(model)) {
    const v4 = /cohere\.embed-v4/.test(model);
    const problem = extraneous(body, ['texts', 'input_type', 'truncate', 'embedding_types', ...(v4 ? ['output_dimension', 'max_tokens', 'images', 'inputs'] : [])]);
    if (problem) return { error: problem };
    if (!Array.isArray(body.texts) || body.texts.length > 96) return { error: 'Malformed input request: #/texts: expected maxItems: 96, please reformat your input and try again.' };
    if (!['search_document', 'search_query', 'classification', 'clustering'].includes(String(body.input_type))) {
      return { error: 'Malformed input request: #: required key [input_type] not found, please reformat your input and try again.' };
    }
    const texts = body.texts as string[];
    // v3: texts of at most 2048 characters (model-parameters-embed.html); v4: output_dimension 256 | 512 | 1024 | 1536 (model-parameters-embed-v4.html).
    const long = v4 ? -1 : texts.findIndex((text) => typeof text !== 'string' || text.length > 2048);
    if (long >= 0) return { error: `Malformed input request: #/texts/${long}: expected maxLength: 2048, actual: ${String(texts[long]?.length)}, please reformat your input and try again.` };
    if (body.output_dimension !== undefined && ![256, 512, 1024, 1536].includes(Number(body.output_dimension))) {
      return { error: `Malformed input request: #/output_dimension: ${String(body.output_dimension)} is not a valid enum value, please reformat your input and try again.` };
    }
    const vectors = texts.map((text) => vector(text, Number(body.output_dimension ?? 1024)));
    const byType = Array.isArray(body.embedding_types);
    return {
      body: { id: 'emb-sim', texts, embeddings: byType ? { float: vectors } : vectors, response_type: byType ? 'embeddings_by_type' : 'embeddings_floats' },
      inputTokens: texts.reduce((sum, text) => sum + simulatedTokens(text), 0),
    };
  }
  return { error: `The provided model identifier is invalid for InvokeModel in this simulator: ${model}` };
}
