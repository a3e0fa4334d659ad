/**
 * A float vector as OpenAI's `encoding_format: "base64"` sends it: the little-endian float32
 * bytes, base64-encoded (../shared/specs/openai/openapi.yaml, CreateEmbeddingRequest). The
 * official openai SDK asks for base64 by default and decodes it this way, so providers that
 * only return float arrays are encoded here when the caller asked for base64.
 */
export function float32Base64(vector: readonly number[]): string {
  const bytes = new Uint8Array(vector.length * 4);
  const view = new DataView(bytes.buffer);
  vector.forEach((value, index) => view.setFloat32(index * 4, value, true));
  return Buffer.from(bytes).toString('base64');
}
