// Builds a value that fits a schema, so the mock's "json" answers and its function-call
// arguments are valid for whatever the request declared. Handles both the OpenAPI subset
// (`responseSchema`, `parameters`: "STRING", nullable) and JSON Schema (`*JsonSchema`:
// type arrays, $ref into $defs, const, oneOf).

const lower = (type) => (typeof type === 'string' ? type.toLowerCase() : type);

/**
 * `strings` supplies string values in order ("Paris", "Tokyo"...) so that two parallel calls
 * get visibly different arguments.
 */
export function exampleFromSchema(schema, { strings = ['example'], root = schema } = {}) {
  const next = makeStringSource(strings);
  return build(schema, root, next, 0);
}

function makeStringSource(strings) {
  let i = 0;
  return () => strings[Math.min(i++, strings.length - 1)];
}

function build(schema, root, nextString, depth) {
  if (!schema || typeof schema !== 'object' || depth > 8) return null;
  if (schema.$ref) return build(resolveRef(schema.$ref, root), root, nextString, depth + 1);
  if ('const' in schema) return schema.const;
  if (Array.isArray(schema.enum) && schema.enum.length) return schema.enum[0];
  if ('example' in schema) return schema.example;
  const choice = schema.anyOf || schema.oneOf;
  if (Array.isArray(choice) && choice.length) return build(choice[0], root, nextString, depth + 1);
  const type = Array.isArray(schema.type)
    ? lower(schema.type.find((t) => lower(t) !== 'null'))
    : lower(schema.type);
  switch (type) {
    case 'object':
      return buildObject(schema, root, nextString, depth);
    case 'array':
      return [build(schema.items, root, nextString, depth + 1)];
    case 'string':
      return nextString();
    case 'integer':
      return 1;
    case 'number':
      return 1.5;
    case 'boolean':
      return true;
    case 'null':
      return null;
    default:
      return schema.properties ? buildObject(schema, root, nextString, depth) : nextString();
  }
}

function buildObject(schema, root, nextString, depth) {
  const properties = schema.properties || {};
  const names =
    Array.isArray(schema.required) && schema.required.length ? schema.required : Object.keys(properties);
  const result = {};
  for (const name of names) result[name] = build(properties[name], root, nextString, depth + 1);
  return result;
}

function resolveRef(ref, root) {
  const match = /^#\/(\$defs|definitions)\/(.+)$/.exec(ref);
  return match ? root?.[match[1]]?.[match[2]] : null;
}
