// The checks the real service makes after parsing a GenerateContentRequest. Each one is a
// translation bug some proxy has shipped: an empty text part, a "system" role, a tool result
// sent as a string, a JSON Schema keyword in `parameters`, a dropped Gemini 3 thought signature.

import { GeminiError, invalidArgument, requestError } from './errors.mjs';
import { readMessage } from './proto.mjs';

const DATA_FIELDS = [
  'text',
  'inlineData',
  'fileData',
  'functionCall',
  'functionResponse',
  'executableCode',
  'codeExecutionResult',
];
const RESPONSE_MIME_TYPES = [
  'text/plain',
  'application/json',
  'application/xml',
  'application/yaml',
  'text/x.enum',
];
const FUNCTION_NAME = /^[A-Za-z_][A-Za-z0-9_.:-]{0,63}$/;

// Google documents these two values as a way to skip signature validation on purpose.
export const DUMMY_SIGNATURES = ['skip_thought_signature_validator', 'context_engineering_is_the_way_to_go'];

const REQ = 'GenerateContentRequest';

/** An empty string is the proto default, so `{text: ""}` leaves the oneof unset. */
const isSet = (part, field) => (field === 'text' ? Boolean(part.text) : part[field] !== undefined);

const hasFunctionResponse = (c) => c.parts?.some((p) => p.functionResponse);
const functionCalls = (c) => (c.parts || []).filter((p) => p.functionCall);

/**
 * Parses and checks a generateContent / streamGenerateContent body for `model` (a catalog
 * entry). `signatures` maps every signature the mock issued to `{ key, name }`.
 * Returns the request with lowerCamel keys; throws a GeminiError the way the API answers.
 */
export function validateGenerateRequest(body, model, { signatures, key, bindSignaturesToKey }) {
  const req = readMessage(body, REQ);
  checkGenerateRequest(req, model);
  if (model.modern) checkSignatures(req.contents, { signatures, key, bindSignaturesToKey });
  if (model.noPrefill && req.contents.at(-1).role === 'model') {
    throw invalidArgument('The last content must not have the role model for this model: end the request with a user turn.');
  }
  return req;
}

/** The checks of a read GenerateContentRequest that countTokens makes too. */
export function checkGenerateRequest(req, model) {
  checkContents(req.contents, `${REQ}.contents`);
  if (req.systemInstruction) checkParts(req.systemInstruction.parts, `${REQ}.system_instruction`);
  checkTools(req.tools || [], { combined: Boolean(model.modern && req.toolConfig?.includeServerSideToolInvocations) });
  checkToolConfig(req.toolConfig, req.tools || []);
  checkGenerationConfig(req.generationConfig || {}, model);
  checkMediaOutput(req, model);
  checkCachedContent(req);
}

/**
 * countTokens with a whole generateContentRequest: the service wants its `model` as a
 * resource name ("models/…"; the SDKs set it only for this call) and checks the rest as
 * generateContent would, thought signatures aside.
 */
export function checkCountedRequest(req, model) {
  if (!/^models\/[^/]+$/.test(req.model || '')) {
    throw requestError('CountTokensRequest.generate_content_request.model', 'unexpected model name format');
  }
  checkGenerateRequest(req, model);
}

/** Contents as countTokens and generateContent both require them. */
export function checkContents(contents, path) {
  if (!contents?.length) throw requestError(path, 'contents is not specified');
  contents.forEach((content, i) => {
    if (content.role !== undefined && !['user', 'model'].includes(content.role)) {
      throw invalidArgument('Please use a valid role: user, model.');
    }
    checkParts(content.parts, `${path}[${i}]`);
  });
  checkTurnOrder(contents);
}

function checkParts(parts, path) {
  if (!parts?.length) throw requestError(`${path}.parts`, 'contents.parts must not be empty.');
  const problems = [];
  parts.forEach((part, j) => {
    const at = `${path}.parts[${j}]`;
    const set = DATA_FIELDS.filter((field) => isSet(part, field));
    if (set.length === 0) {
      problems.push(`* ${at}.data: required oneof field 'data' must have one initialized field\n`);
    } else if (set.length > 1) {
      const rel = at.slice(REQ.length + 1);
      throw invalidArgument(
        `Invalid value at '${rel}' (oneof), oneof field 'data' is already set. Cannot set '${set[1]}'`,
      );
    }
    if (part.functionCall && !part.functionCall.name) {
      problems.push(`* ${at}.function_call.name: Name cannot be empty.\n`);
    }
    if (part.functionResponse && !part.functionResponse.name) {
      problems.push(`* ${at}.function_response.name: Name cannot be empty.\n`);
    }
    if (part.functionResponse && part.functionResponse.response === undefined) {
      problems.push(`* ${at}.function_response.response: response is required.\n`);
    }
  });
  if (problems.length) throw invalidArgument(problems.join(''));
}

// A model turn with calls follows a user turn; the next turn answers every one of those calls.
function checkTurnOrder(contents) {
  contents.forEach((content, i) => {
    const prev = contents[i - 1];
    if (functionCalls(content).length) {
      if (content.role !== 'model' || !prev || prev.role === 'model') {
        throw invalidArgument(
          'Please ensure that function call turn comes immediately after a user turn or after a function response turn.',
        );
      }
    }
    if (hasFunctionResponse(content)) {
      const calls = prev ? functionCalls(prev).length : 0;
      if (content.role === 'model' || calls === 0) {
        throw invalidArgument(
          'Please ensure that function response turn comes immediately after a function call turn.',
        );
      }
      const answers = content.parts.filter((p) => p.functionResponse).length;
      if (answers !== calls) {
        throw invalidArgument(
          'Please ensure that the number of function response parts is equal to the number of function call parts of the function call turn.',
        );
      }
    }
  });
}

// Built-in tools that generateContent (with an API key) refuses next to function declarations,
// unless a Gemini 3 model is asked to include its server-side tool invocations in the answer
// (toolConfig.includeServerSideToolInvocations), which is how it combines the two.
const BUILT_IN_TOOLS = ['googleSearch', 'googleSearchRetrieval', 'codeExecution', 'urlContext'];

function checkTools(tools, { combined = false } = {}) {
  const functions = tools.some((tool) => tool.functionDeclarations?.length);
  if (functions && !combined && tools.some((tool) => BUILT_IN_TOOLS.some((name) => tool[name] !== undefined))) {
    throw invalidArgument('Tool use with function calling is unsupported');
  }
  tools.forEach((tool, t) => {
    (tool.functionDeclarations || []).forEach((decl, d) => {
      const at = `${REQ}.tools[${t}].function_declarations[${d}]`;
      if (!decl.name || !FUNCTION_NAME.test(decl.name)) {
        throw requestError(
          `${at}.name`,
          'Invalid function name. Must start with a letter or an underscore. Must be a-z, A-Z, 0-9, or contain underscores, colons, dots, and dashes, with a maximum length of 64.',
        );
      }
      if (decl.parameters && decl.parametersJsonSchema !== undefined) {
        throw requestError(at, 'parameters and parameters_json_schema cannot both be set.');
      }
    });
  });
}

export const declaredFunctions = (tools) => (tools || []).flatMap((tool) => tool.functionDeclarations || []);

function checkToolConfig(toolConfig, tools) {
  const config = toolConfig?.functionCallingConfig;
  if (!config?.allowedFunctionNames?.length) return;
  const at = `${REQ}.tool_config.function_calling_config.allowed_function_names`;
  if (!['ANY', 'VALIDATED'].includes(config.mode)) {
    throw requestError(at, 'allowed_function_names can only be set when mode is ANY or VALIDATED.');
  }
  const declared = new Set(declaredFunctions(tools).map((d) => d.name));
  const unknown = config.allowedFunctionNames.filter((name) => !declared.has(name));
  if (unknown.length) {
    throw requestError(at, `Function names [${unknown.join(', ')}] are not declared in tools.`);
  }
}

function checkGenerationConfig(config, model) {
  const at = `${REQ}.generation_config`;
  if ((config.stopSequences || []).length > 5) {
    throw requestError(`${at}.stop_sequences`, 'The number of stop_sequences must be at most 5.');
  }
  if (config.candidateCount !== undefined && (config.candidateCount < 1 || config.candidateCount > 8)) {
    throw requestError(`${at}.candidate_count`, 'candidate_count must be in the range [1, 8].');
  }
  if (config.temperature !== undefined && (config.temperature < 0 || config.temperature > 2)) {
    throw requestError(`${at}.temperature`, 'temperature must be in the range [0.0, 2.0].');
  }
  if (config.topP !== undefined && (config.topP < 0 || config.topP > 1)) {
    throw requestError(`${at}.top_p`, 'top_p must be in the range [0.0, 1.0].');
  }
  // A penalty other than 0 is refused by every thinking model (Gemini 2.5 on); 0 is no penalty.
  if ((config.presencePenalty || config.frequencyPenalty) && (model.thinking || model.modern)) {
    throw invalidArgument(`Penalty is not enabled for models/${model.id}`);
  }
  if (config.maxOutputTokens !== undefined && config.maxOutputTokens < 1) {
    throw requestError(`${at}.max_output_tokens`, 'max_output_tokens must be positive.');
  }
  checkResponseFormat(config, at);
  checkThinking(config.thinkingConfig, model, `${at}.thinking_config`);
}

function checkResponseFormat(config, at) {
  const mime = config.responseMimeType;
  if (mime !== undefined && !RESPONSE_MIME_TYPES.includes(mime)) {
    throw requestError(
      `${at}.response_mime_type`,
      `allowed mimetypes are ${RESPONSE_MIME_TYPES.map((m) => `\`${m}\``).join(', ')}.`,
    );
  }
  const hasSchema = config.responseSchema !== undefined || config.responseJsonSchema !== undefined;
  if (config.responseSchema !== undefined && config.responseJsonSchema !== undefined) {
    throw requestError(at, 'response_schema and response_json_schema cannot both be set.');
  }
  if (hasSchema && !['application/json', 'text/x.enum'].includes(mime)) {
    throw requestError(
      `${at}.response_mime_type`,
      'When using response_schema, response_mime_type must be `application/json` or `text/x.enum`.',
    );
  }
}

function checkThinking(thinking, model, at) {
  if (!thinking) return;
  const { includeThoughts, thinkingBudget, thinkingLevel } = thinking;
  if (!model.thinking) {
    if (includeThoughts || thinkingBudget !== undefined || thinkingLevel !== undefined) {
      throw invalidArgument('Thinking is not supported for this model.');
    }
    return;
  }
  if (thinkingBudget !== undefined && thinkingLevel !== undefined) {
    throw invalidArgument('You can only set only one of thinking budget and thinking level.');
  }
  if (thinkingLevel !== undefined) checkThinkingLevel(thinkingLevel, model);
  if (thinkingBudget !== undefined) checkThinkingBudget(thinkingBudget, model, at);
}

function checkThinkingLevel(level, model) {
  if (!model.modern) throw invalidArgument('Thinking level is not supported for this model.');
  const allowed = model.levels.map((l) => l.toUpperCase());
  if (level !== 'THINKING_LEVEL_UNSPECIFIED' && !allowed.includes(level)) {
    throw invalidArgument(`Thinking level ${level} is not supported for this model.`);
  }
}

function checkThinkingBudget(budget, model, at) {
  const { min, max, canDisable } = model.budget;
  if (budget === -1 || (budget === 0 && canDisable)) return;
  if (budget === 0) {
    throw requestError(
      `${at}.thinking_budget`,
      'Budget 0 is invalid. This model only works in thinking mode.',
    );
  }
  if (budget < min || budget > max) {
    throw requestError(
      `${at}.thinking_budget`,
      `The thinking budget ${budget} is invalid. Please choose a value between ${min} and ${max}.`,
    );
  }
}

function checkCachedContent(req) {
  if (req.cachedContent === undefined) return;
  if (!/^cachedContents\/[A-Za-z0-9_-]+$/.test(req.cachedContent)) {
    throw new GeminiError(403, 'PERMISSION_DENIED', `CachedContent not found (or permission denied)`);
  }
  if (req.systemInstruction || req.tools || req.toolConfig) {
    throw invalidArgument(
      'CachedContent can not be used with GenerateContent request setting system_instruction, tools or tool_config.\n\nProposed fix: move those values to CachedContent from GenerateContent request.',
    );
  }
}

/**
 * Gemini 3 and later: in the current turn (everything after the last real user message) the first
 * functionCall part of every model step must carry a signature the service issued.
 * Parallel calls after the first carry none, exactly as the responses hand them out.
 */
function checkSignatures(contents, ctx) {
  const start = currentTurnStart(contents);
  contents.forEach((content, i) => {
    if (content.role !== 'model') return;
    content.parts.forEach((part) => {
      if (part.thoughtSignature !== undefined) checkKnownSignature(part, ctx);
    });
    const first = functionCalls(content)[0];
    if (i > start && first && first.thoughtSignature === undefined) {
      throw invalidArgument(
        'Function call is missing a thought_signature in functionCall parts. This is required ' +
          'for tools to work correctly, and missing thought_signature may lead to degraded model ' +
          `performance. Additional data, function call \`default_api:${first.functionCall.name}\` , ` +
          `position ${i + 1}. Please refer to https://ai.google.dev/gemini-api/docs/thought-signatures ` +
          'for more details.',
      );
    }
  });
}

function currentTurnStart(contents) {
  for (let i = contents.length - 1; i >= 0; i--) {
    const c = contents[i];
    if (c.role !== 'model' && !hasFunctionResponse(c)) return i;
  }
  return -1;
}

function checkKnownSignature(part, { signatures, key, bindSignaturesToKey }) {
  const signature = part.thoughtSignature;
  if (DUMMY_SIGNATURES.includes(signature)) return;
  const issued = signatures.get(signature);
  const wrongCall = issued && part.functionCall && issued.name && issued.name !== part.functionCall.name;
  const wrongKey = issued && bindSignaturesToKey && issued.key !== key;
  if (!issued || wrongCall || wrongKey) throw invalidArgument('Corrupted thought signature.');
}

// Gemini's 30 prebuilt voices.
export const VOICES = [
  'Zephyr', 'Puck', 'Charon', 'Kore', 'Fenrir', 'Leda', 'Orus', 'Aoede', 'Callirrhoe', 'Autonoe', 'Enceladus',
  'Iapetus', 'Umbriel', 'Algieba', 'Despina', 'Erinome', 'Algenib', 'Rasalgethi', 'Laomedeia', 'Achernar', 'Alnilam',
  'Schedar', 'Gacrux', 'Pulcherrima', 'Achird', 'Zubenelgenubi', 'Vindemiatrix', 'Sadachbia', 'Sadaltager', 'Sulafat',
];

const MODALITIES_ERROR = 'The requested combination of response modalities is not supported by the model.';

/** Image and speech models: what they answer with, how they are configured. */
function checkMediaOutput(req, model) {
  const config = req.generationConfig || {};
  const at = `${REQ}.generation_config`;
  const modalities = config.responseModalities || ['TEXT'];
  if (model.output === 'audio') {
    if (modalities.length !== 1 || modalities[0] !== 'AUDIO') throw invalidArgument(MODALITIES_ERROR);
    if (req.systemInstruction) throw invalidArgument('Developer instruction is not enabled for this model.');
    const voice = config.speechConfig?.voiceConfig?.prebuiltVoiceConfig?.voiceName;
    if (voice !== undefined && !VOICES.includes(voice)) {
      throw requestError(`${at}.speech_config.voice_config.prebuilt_voice_config.voice_name`, `Voice ${voice} is not supported.`);
    }
  } else if (config.speechConfig || modalities.includes('AUDIO')) {
    throw invalidArgument(MODALITIES_ERROR);
  }
  if (model.output === 'image') {
    if (!modalities.includes('IMAGE')) throw invalidArgument(MODALITIES_ERROR);
    const ratio = config.imageConfig?.aspectRatio;
    if (ratio !== undefined && !model.ratios.includes(ratio)) {
      throw requestError(`${at}.image_config.aspect_ratio`, `Unsupported aspect ratio: ${ratio}.`);
    }
  } else if (config.imageConfig || modalities.includes('IMAGE')) {
    throw invalidArgument(MODALITIES_ERROR);
  }
}
