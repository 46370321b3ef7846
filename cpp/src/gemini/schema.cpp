// JSON Schema (OpenAI function parameters, response_format.json_schema) → Gemini.
//
// Gemini takes a schema two ways: `parameters` / `responseSchema`, an OpenAPI subset that
// rejects additionalProperties, $schema, strict, $ref, const and friends with a 400; or
// `parametersJsonSchema` / `responseJsonSchema`, real JSON Schema, which gives the model no
// property ordering and is newer than the models' OpenAPI path. The rule, per schema:
//   - clean it into the OpenAPI subset when every keyword translates exactly or is an
//     annotation whose loss changes nothing Gemini enforces (additionalProperties, $schema,
//     strict, $id, $comment, examples, readOnly...). Exact translations: const "x" → enum
//     ["x"]; type ["T","null"] and anyOf [..., {type: null}] → nullable; $ref to $defs /
//     definitions → inlined; allOf with one entry → merged; types upper-cased.
//   - otherwise (oneOf, not, if/then, patternProperties, recursive or external $ref, non-string
//     enums, free-form objects, arrays without items, tuples...) send the original as JSON
//     Schema, stripped only of `$schema` and `strict`, which constrain nothing.
// A top-level object schema with no properties is a function without parameters: omitted.
//
// Both forms are written in one streaming pass over the raw reader (no DOM): agents send
// dozens of tools per request.
#include <vector>

#include "balancer/gemini.h"
#include "balancer/jsonout.h"

namespace bal::gemini {
namespace {

enum class Rule { keep, drop, type, format, enumeration, constant, any_of, all_of, ref, items, properties };

struct Keyword {
  std::string_view name;
  Rule rule;
};

// Every keyword the cleaner knows. Anything else makes the schema go as JSON Schema.
constexpr Keyword kKeywords[] = {
    {"type", Rule::type},
    {"properties", Rule::properties},
    {"items", Rule::items},
    {"description", Rule::keep},
    {"required", Rule::keep},
    {"enum", Rule::enumeration},
    {"const", Rule::constant},
    {"format", Rule::format},
    {"anyOf", Rule::any_of},
    {"allOf", Rule::all_of},
    {"$ref", Rule::ref},
    {"title", Rule::keep},
    {"nullable", Rule::keep},
    {"minItems", Rule::keep},
    {"maxItems", Rule::keep},
    {"minProperties", Rule::keep},
    {"maxProperties", Rule::keep},
    {"minLength", Rule::keep},
    {"maxLength", Rule::keep},
    {"pattern", Rule::keep},
    {"minimum", Rule::keep},
    {"maximum", Rule::keep},
    {"default", Rule::keep},
    {"example", Rule::keep},
    {"propertyOrdering", Rule::keep},
    {"additionalProperties", Rule::drop},
    {"$schema", Rule::drop},
    {"strict", Rule::drop},
    {"$defs", Rule::drop},
    {"definitions", Rule::drop},
    {"$id", Rule::drop},
    {"$comment", Rule::drop},
    {"unevaluatedProperties", Rule::drop},
    {"examples", Rule::drop},
    {"readOnly", Rule::drop},
    {"writeOnly", Rule::drop},
    {"deprecated", Rule::drop},
};

struct TypeName {
  std::string_view json_schema;
  std::string_view openapi;
};
constexpr TypeName kTypes[] = {{"string", "STRING"},   {"number", "NUMBER"}, {"integer", "INTEGER"},
                               {"boolean", "BOOLEAN"}, {"array", "ARRAY"},   {"object", "OBJECT"}};

struct FormatName {
  std::string_view type;
  std::string_view format;
};
// The formats Gemini's subset accepts per type; others are hints and are dropped.
constexpr FormatName kFormats[] = {{"STRING", "enum"},   {"STRING", "date-time"}, {"NUMBER", "float"},
                                   {"NUMBER", "double"}, {"INTEGER", "int32"},    {"INTEGER", "int64"}};

// Keywords whose value is one schema, a list of schemas, or a map of names to schemas.
constexpr std::string_view kSchemaKeys[] = {
    "items", "additionalProperties", "unevaluatedProperties", "not", "if", "then", "else", "contains", "propertyNames"};
constexpr std::string_view kSchemaListKeys[] = {"anyOf", "oneOf", "allOf", "prefixItems"};
constexpr std::string_view kSchemaMapKeys[] = {"properties", "$defs", "definitions", "patternProperties"};

constexpr int kMaxDepth = 40;      // nested schemas, $refs included: bounds the native stack
constexpr int kMaxSchemas = 2000;  // inlining $refs can multiply a schema; past this, JSON Schema
constexpr size_t kMaxSources = 8;  // a schema plus what $ref / allOf / anyOf merge into it

const Keyword* find_keyword(raw::value key) {
  for (const Keyword& k : kKeywords) {
    if (key.equals(k.name)) return &k;
  }
  return nullptr;
}

template <size_t N>
bool listed(raw::value key, const std::string_view (&names)[N]) {
  for (std::string_view n : names) {
    if (key.equals(n)) return true;
  }
  return false;
}

// One schema's keywords: its own object first, then what $ref, a one-entry allOf or a
// one-branch anyOf merge into it. A keyword takes its value from the first object having it.
struct Sources {
  raw::value list[kMaxSources];
  size_t count = 0;
  raw::value any_of;  // an anyOf with several non-null branches
  bool nullable = false;

  bool push(raw::value s) {
    if (!s.is_object() || count == kMaxSources) return false;
    list[count++] = s;
    return true;
  }
  raw::value find(std::string_view key) const {
    for (size_t i = 0; i < count; ++i) {
      raw::value v = list[i].get(key);
      if (v.exists()) return v;
    }
    return {};
  }
};

// Output keys already written for one schema object: merged sources never repeat a key.
class Written {
 public:
  bool add(std::string_view key) {
    for (size_t i = 0; i < count_; ++i) {
      if (keys_[i] == key) return false;
    }
    if (count_ < kCapacity) keys_[count_++] = key;
    return true;
  }

 private:
  static constexpr size_t kCapacity = 48;
  std::string_view keys_[kCapacity];
  size_t count_ = 0;
};

bool is_null_branch(raw::value b) {
  return b.get("type").equals("null");
}

class Cleaner {
 public:
  Cleaner(raw::value root, bool for_response) : root_(root), for_response_(for_response) {}
  // Writes `s` cleaned; false when it has no exact OpenAPI form (the output is then junk).
  bool schema(raw::value s, JsonOut& out, bool top);
  bool top_without_properties() const { return top_without_properties_; }

 private:
  bool collect(Sources& src);
  bool resolve(raw::value ref, Sources& src);
  bool any_of(raw::value branches, Sources& src);
  bool body(const Sources& src, JsonOut& out, bool top);
  bool member(raw::member m, const Keyword& k, const Sources& src, std::string_view type, bool& nullable,
              Written& written, JsonOut& out);
  bool write_enum(raw::value values, bool is_const, bool& nullable, JsonOut& out);

  raw::value root_;
  bool for_response_;
  bool top_without_properties_ = false;
  int depth_ = 0;
  int budget_ = kMaxSchemas;
  std::vector<std::string> refs_;  // $refs being inlined, to catch recursion
};

bool Cleaner::schema(raw::value s, JsonOut& out, bool top) {
  if (!s.is_object() || --budget_ < 0 || depth_ >= kMaxDepth) return false;
  ++depth_;
  const size_t open_refs = refs_.size();
  Sources src;
  const bool ok = src.push(s) && collect(src) && body(src, out, top);
  refs_.resize(open_refs);
  --depth_;
  return ok;
}

bool Cleaner::collect(Sources& src) {
  for (size_t i = 0; i < src.count; ++i) {
    for (raw::member m : src.list[i].members()) {
      const Keyword* k = find_keyword(m.key);
      if (k == nullptr) return false;
      if (k->rule == Rule::ref && !resolve(m.val, src)) return false;
      if (k->rule == Rule::any_of && !any_of(m.val, src)) return false;
      if (k->rule == Rule::all_of) {
        if (!m.val.is_array() || m.val.size() != 1 || !src.push(*m.val.items().begin())) return false;
      }
    }
  }
  return true;
}

// "#/$defs/Name" or "#/definitions/Name", not already being inlined.
bool Cleaner::resolve(raw::value ref, Sources& src) {
  const std::string path = ref.str();
  constexpr std::string_view kPrefixes[] = {"#/$defs/", "#/definitions/"};
  for (std::string_view prefix : kPrefixes) {
    if (path.compare(0, prefix.size(), prefix) != 0) continue;
    const std::string_view name = std::string_view(path).substr(prefix.size());
    if (name.find_first_of("/~%") != std::string_view::npos) return false;
    const raw::value target = root_.get(prefix.substr(2, prefix.size() - 3)).get(name);
    for (const std::string& open : refs_) {
      if (open == path) return false;  // recursive: only JSON Schema can say it
    }
    refs_.push_back(path);
    return src.push(target);
  }
  return false;
}

bool Cleaner::any_of(raw::value branches, Sources& src) {
  if (!branches.is_array()) return false;
  size_t kept = 0;
  raw::value last;
  for (raw::value b : branches.items()) {
    if (is_null_branch(b)) {
      src.nullable = true;
    } else {
      ++kept;
      last = b;
    }
  }
  if (kept == 0) return false;
  if (kept == 1) return src.push(last);
  if (!src.any_of.exists()) src.any_of = branches;
  return true;
}

// The OpenAPI type of a "type" value; `nullable` set for ["T", "null"].
std::string_view openapi_type(raw::value type, bool& nullable) {
  raw::value single;
  if (type.is_string()) {
    single = type;
  } else if (type.is_array()) {
    for (raw::value t : type.items()) {
      if (t.equals("null")) {
        nullable = true;
      } else if (single.exists()) {
        return {};  // a true union of types
      } else {
        single = t;
      }
    }
  }
  for (const TypeName& n : kTypes) {
    if (single.equals(n.json_schema)) return n.openapi;
  }
  return {};
}

bool Cleaner::body(const Sources& src, JsonOut& out, bool top) {
  bool nullable = src.nullable;
  std::string_view type;
  if (raw::value t = src.find("type"); t.exists()) {
    type = openapi_type(t, nullable);
    if (type.empty()) return false;
  } else if (src.find("properties").exists()) {
    type = "OBJECT";
  } else if (src.find("enum").exists() || src.find("const").exists()) {
    type = "STRING";
  } else if (src.find("items").exists()) {
    type = "ARRAY";
  } else if (!src.any_of.exists()) {
    return false;  // "any value"
  }
  const raw::value props = src.find("properties");
  if (props.exists() && !props.is_object()) return false;
  if (type == "OBJECT" && props.size() == 0) {
    if (!top) return false;  // a free-form object
    top_without_properties_ = true;
  }
  if (type == "ARRAY" && !src.find("items").exists()) return false;  // Gemini requires items
  if ((src.find("enum").exists() || src.find("const").exists()) && type != "STRING") return false;
  Written written;
  out.begin_object();
  for (size_t i = 0; i < src.count; ++i) {
    for (raw::member m : src.list[i].members()) {
      if (!member(m, *find_keyword(m.key), src, type, nullable, written, out)) return false;
    }
  }
  if (!type.empty() && written.add("type")) out.key("type").string(type);
  if (nullable && written.add("nullable")) out.key("nullable").boolean(true);
  if (for_response_ && type == "OBJECT" && props.size() > 1 && written.add("propertyOrdering")) {
    out.key("propertyOrdering").begin_array();
    for (raw::member p : props.members()) out.raw_string(p.key);
    out.end_array();
  }
  out.end_object();
  return true;
}

bool Cleaner::member(raw::member m, const Keyword& k, const Sources& src, std::string_view type, bool& nullable,
                     Written& written, JsonOut& out) {
  switch (k.rule) {
    case Rule::keep:
      if (written.add(k.name)) out.key(k.name).raw(m.val.raw_json());
      return true;
    case Rule::type:
      if (written.add("type")) out.key("type").string(type);
      return true;
    case Rule::format:
      for (const FormatName& f : kFormats) {
        if (type == f.type && m.val.equals(f.format) && written.add("format")) out.key("format").raw_string(m.val);
      }
      return true;
    case Rule::enumeration:
    case Rule::constant:
      return !written.add("enum") || write_enum(m.val, k.rule == Rule::constant, nullable, out);
    case Rule::items:
      if (!written.add("items")) return true;
      out.key("items");
      return schema(m.val, out, false);  // a tuple (array of schemas) has no OpenAPI form
    case Rule::properties:
      if (m.val.size() == 0 || !written.add("properties")) return true;
      out.key("properties").begin_object();
      for (raw::member p : m.val.members()) {
        out.raw_key(p.key);
        if (!schema(p.val, out, false)) return false;
      }
      out.end_object();
      return true;
    case Rule::any_of:
      if (m.val.index() != src.any_of.index() || !src.any_of.exists() || !written.add("anyOf")) return true;
      out.key("anyOf").begin_array();
      for (raw::value b : m.val.items()) {
        if (!is_null_branch(b) && !schema(b, out, false)) return false;
      }
      out.end_array();
      return true;
    case Rule::drop:
    case Rule::all_of:
    case Rule::ref:
      return true;  // dropped, or merged by collect()
  }
  return true;
}

// Gemini's enum holds strings only; a null among the values means nullable.
bool Cleaner::write_enum(raw::value values, bool is_const, bool& nullable, JsonOut& out) {
  if (!is_const && (!values.is_array() || values.size() == 0)) return false;
  size_t strings = 0;
  out.key("enum").begin_array();
  auto one = [&](raw::value v) {
    if (v.is_null() && !is_const) {
      nullable = true;
      return true;
    }
    if (!v.is_string()) return false;
    out.raw_string(v);
    ++strings;
    return true;
  };
  if (is_const) {
    if (!one(values)) return false;
  } else {
    for (raw::value v : values.items()) {
      if (!one(v)) return false;
    }
  }
  out.end_array();
  return strings > 0;
}

// The schema as JSON Schema, without `$schema` and `strict` in any schema position (never
// touching a default, an example or a property name).
void copy_json_schema(raw::value s, JsonOut& out) {
  if (!s.is_object()) {
    out.raw(s.raw_json());
    return;
  }
  out.begin_object();
  for (raw::member m : s.members()) {
    if (m.key.equals("$schema") || m.key.equals("strict")) continue;
    out.raw_key(m.key);
    if (listed(m.key, kSchemaKeys)) {
      copy_json_schema(m.val, out);
    } else if (m.val.is_array() && listed(m.key, kSchemaListKeys)) {
      out.begin_array();
      for (raw::value sub : m.val.items()) copy_json_schema(sub, out);
      out.end_array();
    } else if (m.val.is_object() && listed(m.key, kSchemaMapKeys)) {
      out.begin_object();
      for (raw::member sub : m.val.members()) {
        out.raw_key(sub.key);
        copy_json_schema(sub.val, out);
      }
      out.end_object();
    } else {
      out.raw(m.val.raw_json());
    }
  }
  out.end_object();
}

bool free_form(raw::value s) {
  raw::value a = s.get("additionalProperties");
  return a.is_object() || a.as_bool().value_or(false);
}

}  // namespace

ConvertedSchema convert_schema(raw::value schema, bool for_response) {
  ConvertedSchema result;
  if (!schema.is_object() || schema.size() == 0) return result;  // {}: no parameters
  bool exact = false;
  bool no_properties = false;
  {
    JsonOut out(result.json, schema.raw_json().size() + 64);
    Cleaner cleaner(schema, for_response);
    exact = cleaner.schema(schema, out, true);
    no_properties = cleaner.top_without_properties();
  }
  if (exact && no_properties && !free_form(schema)) {
    result.json.clear();
    return result;
  }
  if (exact && !no_properties) {
    result.form = SchemaForm::openapi;
    return result;
  }
  result.json.clear();
  {
    JsonOut out(result.json, schema.raw_json().size());
    copy_json_schema(schema, out);
  }
  result.form = SchemaForm::json_schema;
  return result;
}

}  // namespace bal::gemini
