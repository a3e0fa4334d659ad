import { oneSamplerModel } from '../_shared/claude-models.ts';

/**
 * Strict checks of a Converse / ConverseStream body, as Bedrock rejects them with a
 * ValidationException (shapes from API_runtime_Converse.html and the SDK's models; messages
 * worded as Bedrock words them where known). Returns the message, or undefined when valid.
 */

type Json = Record<string, unknown>;

const topLevelFields = new Set([
  'messages', 'system', 'inferenceConfig', 'toolConfig', 'guardrailConfig', 'additionalModelRequestFields',
  'additionalModelResponseFieldPaths', 'promptVariables', 'requestMetadata', 'performanceConfig', 'serviceTier', 'outputConfig',
]);
const contentBlockKinds = new Set(['text', 'image', 'document', 'video', 'toolUse', 'toolResult', 'guardContent', 'cachePoint', 'reasoningContent', 'citationsContent']);
const inferenceFields = new Set(['maxTokens', 'temperature', 'topP', 'stopSequences']);
const imageFormats = new Set(['png', 'jpeg', 'gif', 'webp']);

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const unknownKey = (value: Json, allowed: readonly string[], path: string): string | undefined => {
  const extra = Object.keys(value).find((key) => !allowed.includes(key));
  return extra === undefined ? undefined : `Malformed input request: extraneous key [${extra}] is not permitted at ${path}, please reformat your input and try again.`;
};

/** Model families that refuse stopSequences (crewAIInc/crewAI#3317: gpt-oss; langgenius/dify-official-plugins#1767: Qwen3). */
const withoutStopSequences = /(?:^|[./])(?:openai|qwen)\./;

export function validateConverse(body: Json, model = ''): string | undefined {
  if (withoutStopSequences.test(model) && isObject(body.inferenceConfig) && body.inferenceConfig.stopSequences !== undefined) {
    return "This model doesn't support the stopSequences field. Remove stopSequences and try again.";
  }
  // Claude Opus 4.1, Sonnet and Haiku 4.5 on take one of the two (Bedrock's Claude request
  // reference warns of it for Sonnet and Haiku 4.5; aws-samples/aws-genai-llm-chatbot#696).
  if (oneSamplerModel.test(model) && isObject(body.inferenceConfig) && body.inferenceConfig.temperature !== undefined && body.inferenceConfig.topP !== undefined) {
    return 'The model returned the following errors: `temperature` and `top_p` cannot both be specified for this model. Please use only one.';
  }
  const extra = Object.keys(body).find((key) => !topLevelFields.has(key));
  if (extra !== undefined) return `Malformed input request: extraneous key [${extra}] is not permitted, please reformat your input and try again.`;
  const messages = body.messages;
  if (!Array.isArray(messages) || messages.length === 0) return 'A conversation must start with a user message. Try again with a conversation that starts with a user message.';
  if (body.inferenceConfig !== undefined) {
    if (!isObject(body.inferenceConfig)) return '1 validation error detected: inferenceConfig must be an object';
    const unknown = unknownKey(body.inferenceConfig, [...inferenceFields], 'inferenceConfig');
    if (unknown) return unknown;
    const problem = validateInference(body.inferenceConfig);
    if (problem) return problem;
  }
  if (body.system !== undefined) {
    if (!Array.isArray(body.system) || body.system.some((block) => !isObject(block) || (typeof block.text !== 'string' && block.cachePoint === undefined))) {
      return '1 validation error detected: system must be a list of SystemContentBlock';
    }
  }
  const toolProblem = validateToolConfig(body.toolConfig);
  if (toolProblem) return toolProblem;
  const outputProblem = validateOutputConfig(body.outputConfig);
  if (outputProblem) return outputProblem;

  let previous: Json | undefined;
  let sawToolBlocks = false;
  for (const [index, message] of messages.entries()) {
    if (!isObject(message)) return `1 validation error detected: messages.${index} must be an object`;
    const unknown = unknownKey(message, ['role', 'content'], `messages.${index}`);
    if (unknown) return unknown;
    if (message.role !== 'user' && message.role !== 'assistant') {
      return `1 validation error detected: Value '${String(message.role)}' at 'messages.${index + 1}.member.role' failed to satisfy constraint: Member must satisfy enum value set: [user, assistant]`;
    }
    if (index === 0 && message.role !== 'user') return 'A conversation must start with a user message. Try again with a conversation that starts with a user message.';
    if (previous?.role === message.role) return 'A conversation must alternate between user and assistant roles. Make sure the conversation alternates between user and assistant roles and try again.';
    if (!Array.isArray(message.content) || message.content.length === 0) return `The content field in the Message object at messages.${index} is empty. Add a ContentBlock object to the content field and try again.`;
    for (const [position, block] of message.content.entries()) {
      const problem = validateBlock(block, `messages.${index}.content.${position}`, message.role);
      if (problem) return problem;
      if (isObject(block) && (block.toolUse !== undefined || block.toolResult !== undefined)) sawToolBlocks = true;
    }
    const pairing = checkToolResults(message, previous, index);
    if (pairing) return pairing;
    previous = message;
  }
  if (sawToolBlocks && body.toolConfig === undefined) return 'The toolConfig field must be defined when using toolUse and toolResult content blocks.';
  return undefined;
}

function validateBlock(block: unknown, path: string, role: unknown): string | undefined {
  if (!isObject(block)) return `1 validation error detected: ${path} must be a ContentBlock`;
  const keys = Object.keys(block);
  if (keys.length !== 1 || !contentBlockKinds.has(keys[0]!)) return `Malformed input request: ${path} must set exactly one ContentBlock member, got [${keys.join(', ')}]`;
  if ('text' in block && (typeof block.text !== 'string' || block.text.trim() === '')) {
    return `The text field in the ContentBlock object at ${path} is blank. Add text to the text field, and try again.`;
  }
  if ('image' in block) return validateImage(block.image, `${path}.image`);
  if ('toolUse' in block) {
    if (role !== 'assistant') return `toolUse blocks are only allowed in assistant messages (${path}).`;
    const toolUse = block.toolUse;
    if (!isObject(toolUse) || typeof toolUse.toolUseId !== 'string' || !/^[a-zA-Z0-9_-]{1,64}$/.test(toolUse.toolUseId) || typeof toolUse.name !== 'string' || !isObject(toolUse.input)) {
      return `1 validation error detected: ${path}.toolUse must have a toolUseId matching [a-zA-Z0-9_-]+, a name and an input object`;
    }
    return unknownKey(toolUse, ['toolUseId', 'name', 'input', 'type'], `${path}.toolUse`);
  }
  if ('toolResult' in block) {
    if (role !== 'user') return `toolResult blocks are only allowed in user messages (${path}).`;
    const result = block.toolResult;
    if (!isObject(result) || typeof result.toolUseId !== 'string' || !Array.isArray(result.content)) return `1 validation error detected: ${path}.toolResult needs a toolUseId and content`;
    if (result.status !== undefined && result.status !== 'success' && result.status !== 'error') return `1 validation error detected: ${path}.toolResult.status must be success or error`;
    for (const [position, item] of result.content.entries()) {
      if (!isObject(item) || Object.keys(item).length !== 1 || !['text', 'json', 'image', 'document', 'video'].includes(Object.keys(item)[0]!)) {
        return `Malformed input request: ${path}.toolResult.content.${position} must be one of text, json, image, document, video`;
      }
      if ('image' in item) {
        const problem = validateImage(item.image, `${path}.toolResult.content.${position}.image`);
        if (problem) return problem;
      }
      if ('text' in item && (typeof item.text !== 'string' || item.text.trim() === '')) {
        return `The text field in the ContentBlock object at ${path}.toolResult.content.${position} is blank. Add text to the text field, and try again.`;
      }
    }
    if (result.status === 'error' && result.content.length === 0) {
      return `The content field at ${path}.toolResult cannot be empty when status value is error.`;
    }
    return unknownKey(result, ['toolUseId', 'content', 'status', 'type'], `${path}.toolResult`);
  }
  if ('reasoningContent' in block && role !== 'assistant') return `reasoningContent blocks are only allowed in assistant messages (${path}).`;
  return undefined;
}

/**
 * InferenceConfiguration bounds (API_runtime_InferenceConfiguration.html): maxTokens from 1,
 * temperature and topP from 0 to 1, at most 2500 stop sequences of length 1 or more. Worded as
 * Bedrock words constraint failures.
 */
function validateInference(config: Json): string | undefined {
  const failed = (field: string, value: unknown, constraint: string) =>
    `1 validation error detected: Value '${JSON.stringify(value)}' at 'inferenceConfig.${field}' failed to satisfy constraint: ${constraint}`;
  const { maxTokens, temperature, topP, stopSequences } = config;
  if (maxTokens !== undefined && (!Number.isInteger(maxTokens) || (maxTokens as number) < 1)) return failed('maxTokens', maxTokens, 'Member must have value greater than or equal to 1');
  for (const [field, value] of [['temperature', temperature], ['topP', topP]] as const) {
    if (value !== undefined && (typeof value !== 'number' || value < 0 || value > 1)) return failed(field, value, 'Member must have value less than or equal to 1 and greater than or equal to 0');
  }
  if (stopSequences !== undefined) {
    if (!Array.isArray(stopSequences) || stopSequences.length > 2500) return failed('stopSequences', stopSequences, 'Member must have length less than or equal to 2500');
    if (stopSequences.some((sequence) => typeof sequence !== 'string' || sequence === '')) return failed('stopSequences', stopSequences, 'Member must satisfy constraint: [Member must have length greater than or equal to 1]');
  }
  return undefined;
}

function validateImage(image: unknown, path: string): string | undefined {
  if (!isObject(image) || !imageFormats.has(String(image.format)) || !isObject(image.source) || typeof image.source.bytes !== 'string') {
    return `1 validation error detected: ${path} needs a format (png, jpeg, gif, webp) and source.bytes`;
  }
  const bytes = Buffer.from(image.source.bytes, 'base64');
  if (bytes.length === 0 || bytes.toString('base64').replace(/=+$/, '') !== image.source.bytes.replace(/=+$/, '')) {
    return `Malformed input request: ${path}.source.bytes is not valid base64.`;
  }
  return unknownKey(image, ['format', 'source'], path);
}

/** Each toolResult answers a toolUse of the assistant turn just before it. */
function checkToolResults(message: Json, previous: Json | undefined, index: number): string | undefined {
  const content = message.content as Json[];
  const results = content.filter((block) => block.toolResult !== undefined).map((block) => (block.toolResult as Json).toolUseId);
  if (results.length === 0) return undefined;
  const uses = new Set(((previous?.content as Json[] | undefined) ?? []).filter((block) => block.toolUse !== undefined).map((block) => (block.toolUse as Json).toolUseId));
  if (results.length > uses.size) {
    return `The number of toolResult blocks at messages.${index}.content exceeds the number of toolUse blocks of previous turn.`;
  }
  const unknown = results.find((id) => !uses.has(id));
  return unknown === undefined ? undefined : `The toolUseId ${String(unknown)} at messages.${index}.content does not match any toolUse block of the previous turn.`;
}

function validateToolConfig(config: unknown): string | undefined {
  if (config === undefined) return undefined;
  if (!isObject(config) || !Array.isArray(config.tools) || config.tools.length === 0) return '1 validation error detected: toolConfig.tools must have at least one tool';
  const unknown = unknownKey(config, ['tools', 'toolChoice'], 'toolConfig');
  if (unknown) return unknown;
  for (const [index, tool] of config.tools.entries()) {
    // Tool is a union (API_runtime_Tool.html): exactly one of toolSpec, systemTool, cachePoint; a
    // cache point's own fields are checked with the others (prompt-cache.ts).
    if (isObject(tool) && Object.keys(tool).length !== 1) return `1 validation error detected: toolConfig.tools.${index} must set exactly one of toolSpec, systemTool, cachePoint`;
    if (isObject(tool) && isObject(tool.cachePoint)) continue;
    const spec = isObject(tool) ? tool.toolSpec : undefined;
    if (!isObject(spec) || typeof spec.name !== 'string' || !/^[a-zA-Z0-9_-]{1,64}$/.test(spec.name) || !isObject(spec.inputSchema) || !isObject(spec.inputSchema.json)) {
      return `1 validation error detected: toolConfig.tools.${index}.toolSpec needs a name and inputSchema.json`;
    }
    const extra = unknownKey(spec, ['name', 'description', 'inputSchema', 'strict'], `toolConfig.tools.${index}.toolSpec`);
    if (extra) return extra;
    if (spec.description === '') return `1 validation error detected: toolConfig.tools.${index}.toolSpec.description must have length greater than or equal to 1`;
  }
  if (config.toolChoice !== undefined) {
    const choice = config.toolChoice;
    if (!isObject(choice) || Object.keys(choice).length !== 1 || !['auto', 'any', 'tool'].includes(Object.keys(choice)[0]!)) {
      return '1 validation error detected: toolConfig.toolChoice must set exactly one of auto, any, tool';
    }
    if ('tool' in choice && (!isObject(choice.tool) || typeof choice.tool.name !== 'string')) return '1 validation error detected: toolConfig.toolChoice.tool needs a name';
  }
  return undefined;
}

function validateOutputConfig(config: unknown): string | undefined {
  if (config === undefined) return undefined;
  const format = isObject(config) ? config.textFormat : undefined;
  const schema = isObject(format) && isObject(format.structure) && isObject(format.structure.jsonSchema) ? format.structure.jsonSchema.schema : undefined;
  if (!isObject(format) || format.type !== 'json_schema' || typeof schema !== 'string') {
    return '1 validation error detected: outputConfig.textFormat needs type json_schema and structure.jsonSchema.schema (a JSON string)';
  }
  try {
    JSON.parse(schema);
  } catch {
    return 'outputConfig.textFormat.structure.jsonSchema.schema is not valid JSON.';
  }
  return undefined;
}
