// A small proto3-JSON reader shaped like Google's: every message has a fixed field list, an
// unknown name is "Unknown name "x" at 'path': Cannot find field.", a wrong JSON type is
// "Invalid value at 'path' (TYPE), value". Like the real parser it accepts lowerCamel and
// snake_case names, treats null as unset, and takes a lone object where a list is expected.
// The result is a copy with lowerCamel keys, so the checks after it read one spelling.

import { payloadError, protoType } from './errors.mjs';

// Field types: 'string' 'bool' 'int' 'number' 'bytes' 'struct' (a JSON object) 'json' (any),
// 'enum:Name', a message name, ['T'] for a repeated field, { map: 'T' } for map<string, T>.
export const MESSAGES = {
  GenerateContentRequest: {
    model: 'string',
    contents: ['Content'],
    systemInstruction: 'Content',
    tools: ['Tool'],
    toolConfig: 'ToolConfig',
    safetySettings: ['SafetySetting'],
    generationConfig: 'GenerationConfig',
    cachedContent: 'string',
    labels: { map: 'string' },
  },
  Content: { role: 'string', parts: ['Part'] },
  Part: {
    text: 'string',
    inlineData: 'Blob',
    fileData: 'FileData',
    functionCall: 'FunctionCall',
    functionResponse: 'FunctionResponse',
    executableCode: 'ExecutableCode',
    codeExecutionResult: 'CodeExecutionResult',
    thought: 'bool',
    thoughtSignature: 'bytes',
    videoMetadata: 'struct',
    partMetadata: 'struct',
  },
  Blob: { mimeType: 'string', data: 'bytes' },
  FileData: { mimeType: 'string', fileUri: 'string' },
  FunctionCall: { id: 'string', name: 'string', args: 'struct' },
  FunctionResponse: {
    id: 'string',
    name: 'string',
    response: 'struct',
    parts: 'json',
    willContinue: 'bool',
    scheduling: 'string',
  },
  ExecutableCode: { language: 'string', code: 'string' },
  CodeExecutionResult: { outcome: 'string', output: 'string' },
  Tool: {
    functionDeclarations: ['FunctionDeclaration'],
    googleSearch: 'struct',
    googleSearchRetrieval: 'struct',
    codeExecution: 'struct',
    urlContext: 'struct',
    computerUse: 'struct',
    fileSearch: 'struct',
    googleMaps: 'struct',
  },
  FunctionDeclaration: {
    name: 'string',
    description: 'string',
    parameters: 'Schema',
    parametersJsonSchema: 'json',
    response: 'Schema',
    responseJsonSchema: 'json',
    behavior: 'string',
  },
  // The OpenAPI subset: additionalProperties, $schema, $ref, $defs, const, strict... are unknown.
  Schema: {
    type: 'enum:Type',
    format: 'string',
    title: 'string',
    description: 'string',
    nullable: 'bool',
    enum: ['string'],
    maxItems: 'int',
    minItems: 'int',
    properties: { map: 'Schema' },
    required: ['string'],
    minProperties: 'int',
    maxProperties: 'int',
    minLength: 'int',
    maxLength: 'int',
    pattern: 'string',
    example: 'json',
    anyOf: ['Schema'],
    propertyOrdering: ['string'],
    default: 'json',
    items: 'Schema',
    minimum: 'number',
    maximum: 'number',
  },
  ToolConfig: { functionCallingConfig: 'FunctionCallingConfig', retrievalConfig: 'struct', includeServerSideToolInvocations: 'bool' },
  FunctionCallingConfig: { mode: 'enum:Mode', allowedFunctionNames: ['string'] },
  SafetySetting: { category: 'enum:HarmCategory', threshold: 'enum:HarmBlockThreshold' },
  GenerationConfig: {
    stopSequences: ['string'],
    responseMimeType: 'string',
    responseSchema: 'Schema',
    responseJsonSchema: 'json',
    responseModalities: ['enum:Modality'],
    candidateCount: 'int',
    maxOutputTokens: 'int',
    temperature: 'number',
    topP: 'number',
    topK: 'int',
    seed: 'int',
    presencePenalty: 'number',
    frequencyPenalty: 'number',
    responseLogprobs: 'bool',
    logprobs: 'int',
    thinkingConfig: 'ThinkingConfig',
    speechConfig: 'SpeechConfig',
    imageConfig: 'ImageConfig',
    mediaResolution: 'string',
  },
  SpeechConfig: { voiceConfig: 'VoiceConfig', multiSpeakerVoiceConfig: 'struct', languageCode: 'string' },
  VoiceConfig: { prebuiltVoiceConfig: 'PrebuiltVoiceConfig' },
  PrebuiltVoiceConfig: { voiceName: 'string' },
  ImageConfig: { aspectRatio: 'string', imageSize: 'string' },
  ThinkingConfig: { includeThoughts: 'bool', thinkingBudget: 'int', thinkingLevel: 'enum:ThinkingLevel' },
  CountTokensRequest: { contents: ['Content'], generateContentRequest: 'GenerateContentRequest' },
  EmbedContentRequest: {
    model: 'string',
    content: 'Content',
    taskType: 'enum:TaskType',
    title: 'string',
    outputDimensionality: 'int',
  },
  BatchEmbedContentsRequest: { requests: ['EmbedContentRequest'] },
};

// caseless: the real service takes "string" as well as "STRING", "low" as well as "LOW".
export const ENUMS = {
  Type: {
    caseless: true,
    values: ['TYPE_UNSPECIFIED', 'STRING', 'NUMBER', 'INTEGER', 'BOOLEAN', 'ARRAY', 'OBJECT', 'NULL'],
  },
  ThinkingLevel: {
    caseless: true,
    values: ['THINKING_LEVEL_UNSPECIFIED', 'MINIMAL', 'LOW', 'MEDIUM', 'HIGH', 'XHIGH'],
  },
  Mode: { values: ['MODE_UNSPECIFIED', 'AUTO', 'ANY', 'NONE', 'VALIDATED'] },
  Modality: { values: ['MODALITY_UNSPECIFIED', 'TEXT', 'IMAGE', 'AUDIO'] },
  HarmCategory: {
    values: [
      'HARM_CATEGORY_UNSPECIFIED',
      'HARM_CATEGORY_HARASSMENT',
      'HARM_CATEGORY_HATE_SPEECH',
      'HARM_CATEGORY_SEXUALLY_EXPLICIT',
      'HARM_CATEGORY_DANGEROUS_CONTENT',
      'HARM_CATEGORY_CIVIC_INTEGRITY',
    ],
  },
  HarmBlockThreshold: {
    values: [
      'HARM_BLOCK_THRESHOLD_UNSPECIFIED',
      'BLOCK_LOW_AND_ABOVE',
      'BLOCK_MEDIUM_AND_ABOVE',
      'BLOCK_ONLY_HIGH',
      'BLOCK_NONE',
      'OFF',
    ],
  },
  TaskType: {
    values: [
      'TASK_TYPE_UNSPECIFIED',
      'RETRIEVAL_QUERY',
      'RETRIEVAL_DOCUMENT',
      'SEMANTIC_SIMILARITY',
      'CLASSIFICATION',
      'CLUSTERING',
      'QUESTION_ANSWERING',
      'FACT_VERIFICATION',
      'CODE_RETRIEVAL_QUERY',
    ],
  },
};

const SCALAR_TYPE_NAMES = {
  string: 'TYPE_STRING',
  bool: 'TYPE_BOOL',
  int: 'TYPE_INT32',
  number: 'TYPE_FLOAT',
  bytes: 'TYPE_BYTES',
  struct: 'type.googleapis.com/google.protobuf.Struct',
};

const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

export const toCamel = (name) => name.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase());
export const toSnake = (name) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const join = (at, field) => (at ? `${at}.${toSnake(field)}` : toSnake(field));
const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const show = (v) => JSON.stringify(v);

/**
 * Reads `value` as message `type`. Throws one INVALID_ARGUMENT that lists every violation,
 * the way the real parser reports all unknown names at once.
 */
export function readMessage(value, type) {
  const violations = [];
  // A body of JSON null reads as the empty message, as an empty body does.
  const result = readValue(value ?? {}, type, '', violations);
  if (violations.length) throw payloadError(violations);
  return result;
}

function readValue(value, type, at, out) {
  if (value === null || value === undefined) return undefined;
  if (Array.isArray(type)) return readList(value, type[0], at, out);
  if (isObject(type)) return readMap(value, type.map, at, out);
  if (type === 'json') return value;
  if (Array.isArray(value)) {
    out.push(`Invalid JSON payload received. Proto field is not repeating, cannot start list.`);
    return undefined;
  }
  if (type in MESSAGES) return readFields(value, type, at, out);
  if (type.startsWith('enum:')) return readEnum(value, type.slice(5), at, out);
  return readScalar(value, type, at, out);
}

function readFields(value, type, at, out) {
  if (!isObject(value)) {
    out.push(`Invalid value at '${at}' (${protoType(type)}), ${show(value)}`);
    return undefined;
  }
  const fields = MESSAGES[type];
  const result = {};
  for (const [name, fieldValue] of Object.entries(value)) {
    const camel = toCamel(name);
    if (!Object.hasOwn(fields, camel)) {
      const where = at ? ` at '${at}'` : '';
      out.push(`Invalid JSON payload received. Unknown name ${show(name)}${where}: Cannot find field.`);
      continue;
    }
    const read = readValue(fieldValue, fields[camel], join(at, camel), out);
    if (read !== undefined) result[camel] = read;
  }
  return result;
}

function readList(value, itemType, at, out) {
  const items = Array.isArray(value) ? value : [value];
  return items.map((item, i) => readValue(item, itemType, `${at}[${i}]`, out));
}

function readMap(value, valueType, at, out) {
  if (!isObject(value)) {
    out.push(`Invalid value at '${at}' (map), ${show(value)}`);
    return undefined;
  }
  const result = {};
  Object.entries(value).forEach(([key, entry], i) => {
    result[key] = readValue(entry, valueType, `${at}[${i}].value`, out);
  });
  return result;
}

function readEnum(value, enumName, at, out) {
  const { values, caseless } = ENUMS[enumName];
  const name = typeof value === 'string' && caseless ? value.toUpperCase() : value;
  if (typeof name === 'string' && values.includes(name)) return name;
  out.push(`Invalid value at '${at}' (${protoType(enumName)}), ${show(value)}`);
  return undefined;
}

function readScalar(value, type, at, out) {
  const bad = () => {
    out.push(`Invalid value at '${at}' (${SCALAR_TYPE_NAMES[type]}), ${show(value)}`);
    return undefined;
  };
  switch (type) {
    case 'string':
      return typeof value === 'string' ? value : bad();
    case 'bool':
      return typeof value === 'boolean' ? value : bad();
    case 'struct':
      return isObject(value) ? value : bad();
    case 'int': {
      const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
      return Number.isInteger(n) ? n : bad();
    }
    case 'number': {
      const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
      return typeof n === 'number' && Number.isFinite(n) ? n : bad();
    }
    case 'bytes':
      if (typeof value === 'string' && BASE64.test(value)) return value;
      out.push(`Invalid value at '${at}' (TYPE_BYTES), Base64 decoding failed for ${show(value)}`);
      return undefined;
    default:
      throw new Error(`mock: unknown field type ${type}`);
  }
}
