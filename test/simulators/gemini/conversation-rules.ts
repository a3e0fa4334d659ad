/**
 * The Gemini API's rules for a GenerateContentRequest beyond its proto shape, with the error
 * texts the real API answers (as reported in public issues; see docs/providers/gemini.md):
 * roles, non-empty parts, function call/response turns, thought signatures on function calls of
 * the current turn (Gemini 3, ai.google.dev/gemini-api/docs/thought-signatures), function names,
 * tool config and response schema constraints from the proto comments.
 */

export interface SimulatedPart {
  text?: string;
  thought?: boolean;
  thoughtSignature?: string;
  inlineData?: { mimeType?: string; data?: string };
  functionCall?: { id?: string; name?: string; args?: Record<string, unknown> };
  functionResponse?: { id?: string; name?: string; response?: Record<string, unknown> };
  [other: string]: unknown;
}

export interface SimulatedContent {
  role?: string;
  parts?: SimulatedPart[];
}

export interface GenerateContentBody {
  contents?: SimulatedContent[];
  systemInstruction?: SimulatedContent;
  tools?: Array<{ functionDeclarations?: Array<{ name?: string; parameters?: unknown; parametersJsonSchema?: unknown }> }>;
  toolConfig?: { functionCallingConfig?: { mode?: string; allowedFunctionNames?: string[] } };
  generationConfig?: Record<string, unknown> & { stopSequences?: string[]; responseMimeType?: string };
}

/** Signatures this simulator issues start with these bytes (base64 of "sim-thought:"). */
export const signaturePrefix = 'sim-thought:';
/** Placeholders Google documents for function calls that have no signature of their own. */
const placeholders = new Set(['skip_thought_signature_validator', 'context_engineering_is_the_way_to_go']);

const dataFields = ['text', 'inlineData', 'functionCall', 'functionResponse', 'fileData', 'executableCode', 'codeExecutionResult'];
const functionName = /^[A-Za-z_][A-Za-z0-9_.:-]{0,63}$/;

/** The first rule the body breaks, as the API's error message; undefined when it is acceptable. */
export function checkConversation(body: GenerateContentBody, requireThoughtSignatures: boolean): string | undefined {
  const contents = body.contents ?? [];
  if (contents.length === 0) return '* GenerateContentRequest.contents: contents is not specified\n';
  for (const [index, content] of contents.entries()) {
    if (content.role !== undefined && content.role !== 'user' && content.role !== 'model') return 'Please use a valid role: user, model.';
    const parts = content.parts ?? [];
    if (parts.length === 0) return `* GenerateContentRequest.contents[${index}].parts: contents.parts must not be empty.\n`;
    const partIndex = parts.findIndex((part) => !dataFields.some((field) => part[field] !== undefined && part[field] !== null));
    if (partIndex >= 0) return `* GenerateContentRequest.contents[${index}].parts[${partIndex}].data: required oneof field 'data' must have one initialized field\n`;
  }
  return checkFunctionTurns(contents) ?? (requireThoughtSignatures ? checkSignatures(contents) : undefined) ?? checkTools(body) ?? checkGenerationConfig(body);
}

const calls = (content: SimulatedContent | undefined) => (content?.parts ?? []).filter((part) => part.functionCall);
const responses = (content: SimulatedContent | undefined) => (content?.parts ?? []).filter((part) => part.functionResponse);

function checkFunctionTurns(contents: SimulatedContent[]): string | undefined {
  for (const [index, content] of contents.entries()) {
    const previous = contents[index - 1];
    if (calls(content).length > 0) {
      if (content.role !== 'model') return 'Please ensure that function call turns come from the model (role "model").';
      if (previous && previous.role === 'model') {
        return 'Please ensure that function call turn comes immediately after a user turn or after a function response turn.';
      }
    }
    if (responses(content).length > 0) {
      if (calls(previous).length === 0) return 'Please ensure that function response turn comes immediately after a function call turn.';
      if (responses(content).length !== calls(previous).length) {
        return 'Please ensure that the number of function response parts is equal to the number of function call parts of the function call turn.';
      }
    }
  }
  return undefined;
}

/** The current turn starts after the last user content that is not only function responses. */
function checkSignatures(contents: SimulatedContent[]): string | undefined {
  let start = 0;
  contents.forEach((content, index) => {
    if (content.role !== 'model' && (content.parts ?? []).some((part) => !part.functionResponse)) start = index + 1;
  });
  for (let index = start; index < contents.length; index += 1) {
    const first = calls(contents[index])[0];
    if (!first) continue;
    const signature = first.thoughtSignature;
    if (signature === undefined) return `Function call \`${first.functionCall?.name}\` in the \`${index}.\` content block is missing a \`thought_signature\`.`;
    if (!placeholders.has(signature) && !Buffer.from(signature, 'base64').toString('utf8').startsWith(signaturePrefix)) {
      return `Corrupted thought signature in the \`${index}.\` content block.`;
    }
  }
  return undefined;
}

function checkTools(body: GenerateContentBody): string | undefined {
  const declarations = (body.tools ?? []).flatMap((tool) => tool.functionDeclarations ?? []);
  for (const [index, declaration] of declarations.entries()) {
    if (!functionName.test(declaration.name ?? '')) {
      return `* GenerateContentRequest.tools[0].function_declarations[${index}].name: [FIELD_INVALID] Invalid function name. Must start with a letter or an underscore. Must be a-z, A-Z, 0-9, or contain underscores (_), dots (.), colons (:), or dashes (-), with a maximum length of 64.\n`;
    }
    if (declaration.parameters !== undefined && declaration.parametersJsonSchema !== undefined) {
      return `* GenerateContentRequest.tools[0].function_declarations[${index}]: parameters and parameters_json_schema are mutually exclusive.\n`;
    }
  }
  const config = body.toolConfig?.functionCallingConfig;
  if (config?.allowedFunctionNames?.length) {
    if (config.mode !== 'ANY' && config.mode !== 'VALIDATED') return '* GenerateContentRequest.tool_config.function_calling_config.allowed_function_names: only allowed with mode ANY or VALIDATED.\n';
    const unknown = config.allowedFunctionNames.find((name) => !declarations.some((declaration) => declaration.name === name));
    if (unknown) return `* GenerateContentRequest.tool_config.function_calling_config.allowed_function_names: function ${unknown} is not declared.\n`;
  }
  return undefined;
}

function checkGenerationConfig(body: GenerateContentBody): string | undefined {
  const config = body.generationConfig ?? {};
  if ((config.stopSequences?.length ?? 0) > 5) return '* GenerateContentRequest.generation_config.stop_sequences: at most 5 stop sequences are allowed.\n';
  const hasSchema = config.responseSchema !== undefined || config.responseJsonSchema !== undefined || config._responseJsonSchema !== undefined;
  if (hasSchema && config.responseMimeType !== 'application/json') {
    return '* GenerateContentRequest.generation_config.response_mime_type: response_mime_type must be application/json when a response schema is set.\n';
  }
  if (config.responseSchema !== undefined && config.responseJsonSchema !== undefined) {
    return '* GenerateContentRequest.generation_config: response_schema and response_json_schema are mutually exclusive.\n';
  }
  return undefined;
}
