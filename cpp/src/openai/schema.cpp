// JSON Schema (OpenAI function parameters, response_format.json_schema) → Gemini.
//
// Gemini takes a schema two ways: `parameters` / `responseSchema`, an OpenAPI subset that
// rejects additionalProperties, $schema, strict, $ref, const and friends with a 400; or
// `parametersJsonSchema` / `responseJsonSchema`, real JSON Schema, which newer models honour
// but which gives the model no property ordering hints and is not what older models were
// tuned on. The rule, per schema:
//   - clean it into the OpenAPI subset when every keyword translates exactly or is an
//     annotation whose loss changes nothing Gemini enforces (additionalProperties, $schema,
//     strict, $id, $comment, examples, readOnly...). Exact translations: const "x" → enum
//     ["x"]; type ["T","null"] and anyOf [..., {type: null}] → nullable; $ref to $defs /
//     definitions → inlined; allOf with one entry → merged; types upper-cased.
//   - otherwise (oneOf, not, if/then, patternProperties, recursive or external $ref, non-string
//     enums, free-form objects, tuples...) send the original as JSON Schema, only stripped of
//     `$schema` and `strict`, which are not schema constraints.
// A top-level object schema with no properties is a function without parameters: omitted.
#include <iterator>

#include "balancer/json.h"
#include "request_internal.h"

namespace bal::openai::req {
namespace {

using ojson = nlohmann::ordered_json;

enum class Rule { keep, drop, special };

struct Keyword {
  std::string_view name;
  Rule rule;
};

// Every keyword the cleaner knows. Anything else makes the schema go as JSON Schema.
constexpr Keyword kKeywords[] = {
    {"type", Rule::special},
    {"format", Rule::special},
    {"enum", Rule::special},
    {"const", Rule::special},
    {"anyOf", Rule::special},
    {"allOf", Rule::special},
    {"$ref", Rule::special},
    {"items", Rule::special},
    {"properties", Rule::special},
    {"title", Rule::keep},
    {"description", Rule::keep},
    {"nullable", Rule::keep},
    {"required", Rule::keep},
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
    {"$schema", Rule::drop},
    {"$id", Rule::drop},
    {"$comment", Rule::drop},
    {"$defs", Rule::drop},
    {"definitions", Rule::drop},
    {"strict", Rule::drop},
    {"additionalProperties", Rule::drop},
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

const Keyword* find_keyword(std::string_view name) {
  for (const Keyword& k : kKeywords) {
    if (k.name == name) return &k;
  }
  return nullptr;
}

std::string_view openapi_type(std::string_view t) {
  for (const TypeName& n : kTypes) {
    if (n.json_schema == t) return n.openapi;
  }
  return {};
}

class Cleaner {
 public:
  Cleaner(const ojson& root, bool for_response) : root_(root), for_response_(for_response) {}
  // The cleaned schema; `exact()` is false when it could not be cleaned faithfully.
  ojson clean(const ojson& s, bool top);
  bool exact() const { return exact_; }

 private:
  bool give_up() { return exact_ = false; }
  void merge_into(ojson& out, const ojson& s, bool top);
  void apply_type(ojson& out, const ojson& type);
  void apply_enum(ojson& out, const ojson& values, bool is_const);
  void apply_any_of(ojson& out, const ojson& branches);
  void apply_ref(ojson& out, const ojson& ref);
  void apply_properties(ojson& out, const ojson& props);
  void finish(ojson& out, bool top);

  const ojson& root_;
  bool for_response_;
  bool exact_ = true;
  std::vector<std::string> refs_;  // $refs being inlined, to catch recursion
  // Inlining $refs can multiply a schema's size; past this many schemas it goes as JSON Schema.
  int budget_ = 2000;
};

ojson Cleaner::clean(const ojson& s, bool top) {
  ojson out = ojson::object();
  if (!s.is_object() || --budget_ < 0) {
    give_up();
    return out;
  }
  merge_into(out, s, top);
  finish(out, top);
  return out;
}

// Cleans the keywords of `s` into `out`; keys already in `out` are overwritten.
void Cleaner::merge_into(ojson& out, const ojson& s, bool top) {
  for (auto it = s.begin(); it != s.end() && exact_; ++it) {
    const std::string& name = it.key();
    const ojson& v = it.value();
    const Keyword* k = find_keyword(name);
    if (k == nullptr) {
      give_up();
    } else if (k->rule == Rule::keep) {
      out[name] = v;
    } else if (k->rule == Rule::special) {
      if (name == "type") apply_type(out, v);
      if (name == "format" && v.is_string()) out["format"] = v;
      if (name == "enum" || name == "const") apply_enum(out, name == "const" ? ojson::array({v}) : v, name == "const");
      if (name == "anyOf") apply_any_of(out, v);
      if (name == "allOf") {
        if (!v.is_array() || v.size() != 1) give_up();
        if (exact_) merge_into(out, v[0], top);
      }
      if (name == "$ref") apply_ref(out, v);
      if (name == "items") {
        if (!v.is_object()) give_up();  // tuples have no OpenAPI form
        if (exact_) out["items"] = clean(v, false);
      }
      if (name == "properties") apply_properties(out, v);
    }
  }
}

void Cleaner::apply_type(ojson& out, const ojson& type) {
  std::string_view single;
  bool nullable = false;
  if (type.is_string()) {
    single = type.get_ref<const std::string&>();
  } else if (type.is_array()) {
    for (const ojson& t : type) {
      if (!t.is_string()) return (void)give_up();
      if (t == "null") {
        nullable = true;
      } else if (single.empty()) {
        single = t.get_ref<const std::string&>();
      } else {
        return (void)give_up();  // a true union of types
      }
    }
  }
  const std::string_view mapped = openapi_type(single);
  if (mapped.empty()) return (void)give_up();
  out["type"] = mapped;
  if (nullable) out["nullable"] = true;
}

void Cleaner::apply_enum(ojson& out, const ojson& values, bool is_const) {
  if (!values.is_array() || values.empty()) return (void)give_up();
  ojson strings = ojson::array();
  for (const ojson& v : values) {
    if (v.is_null() && !is_const) {
      out["nullable"] = true;
    } else if (v.is_string()) {
      strings.push_back(v);
    } else {
      return (void)give_up();  // Gemini's enum holds strings only
    }
  }
  if (strings.empty()) return (void)give_up();
  out["enum"] = std::move(strings);
}

void Cleaner::apply_any_of(ojson& out, const ojson& branches) {
  if (!branches.is_array() || branches.empty()) return (void)give_up();
  ojson kept = ojson::array();
  bool nullable = false;
  for (const ojson& b : branches) {
    if (b.is_object() && b.size() == 1 && b.contains("type") && b["type"] == "null") {
      nullable = true;
      continue;
    }
    kept.push_back(clean(b, false));
  }
  if (kept.empty()) return (void)give_up();
  if (kept.size() == 1) {
    for (auto it = kept[0].begin(); it != kept[0].end(); ++it) {
      if (!out.contains(it.key())) out[it.key()] = it.value();
    }
  } else {
    out["anyOf"] = std::move(kept);
  }
  if (nullable) out["nullable"] = true;
}

void Cleaner::apply_ref(ojson& out, const ojson& ref) {
  if (!ref.is_string()) return (void)give_up();
  const std::string& path = ref.get_ref<const std::string&>();
  constexpr std::string_view kPrefixes[] = {"#/$defs/", "#/definitions/"};
  for (std::string_view prefix : kPrefixes) {
    if (path.compare(0, prefix.size(), prefix) != 0) continue;
    const std::string name = path.substr(prefix.size());
    const std::string container(prefix.substr(2, prefix.size() - 3));
    if (name.find('/') != std::string::npos || !root_.contains(container) || !root_[container].is_object() ||
        !root_[container].contains(name)) {
      break;
    }
    for (const std::string& open : refs_) {
      if (open == path) return (void)give_up();  // recursive: only JSON Schema can say it
    }
    refs_.push_back(path);
    const ojson resolved = clean(root_[container][name], false);
    refs_.pop_back();
    for (auto it = resolved.begin(); it != resolved.end(); ++it) {
      if (!out.contains(it.key())) out[it.key()] = it.value();
    }
    return;
  }
  give_up();
}

void Cleaner::apply_properties(ojson& out, const ojson& props) {
  if (!props.is_object()) return (void)give_up();
  ojson cleaned = ojson::object();
  for (auto it = props.begin(); it != props.end() && exact_; ++it) cleaned[it.key()] = clean(it.value(), false);
  out["properties"] = std::move(cleaned);
}

// Rules that need the whole schema: implied types, formats, free-form objects, ordering.
void Cleaner::finish(ojson& out, bool top) {
  if (!exact_) return;
  if (!out.contains("type")) {
    if (out.contains("properties")) out["type"] = "OBJECT";
    if (out.contains("enum")) out["type"] = "STRING";
    if (out.contains("items")) out["type"] = "ARRAY";
  }
  if (!out.contains("type") && !out.contains("anyOf")) return (void)give_up();  // "any value"
  const ojson type = out.contains("type") ? out["type"] : ojson();
  if (out.contains("enum") && type != "STRING") return (void)give_up();
  if (out.contains("format")) {
    bool known = false;
    for (const FormatName& f : kFormats) known = known || (type == f.type && out["format"] == f.format);
    if (!known) out.erase("format");
  }
  if (type == "OBJECT") {
    const bool has_props = out.contains("properties") && !out["properties"].empty();
    if (!has_props && !top) return (void)give_up();  // a free-form object
    if (!has_props) out.erase("properties");
    if (has_props && for_response_ && !out.contains("propertyOrdering") && out["properties"].size() > 1) {
      ojson order = ojson::array();
      for (auto it = out["properties"].begin(); it != out["properties"].end(); ++it) order.push_back(it.key());
      out["propertyOrdering"] = std::move(order);
    }
  }
}

// Keywords whose value is one schema, a list of schemas, or a map of names to schemas.
constexpr std::string_view kSchemaKeys[] = {
    "items", "additionalProperties", "unevaluatedProperties", "not", "if", "then", "else", "contains", "propertyNames"};
constexpr std::string_view kSchemaListKeys[] = {"anyOf", "oneOf", "allOf", "prefixItems"};
constexpr std::string_view kSchemaMapKeys[] = {"properties", "$defs", "definitions", "patternProperties"};

bool listed(std::string_view name, const std::string_view* first, const std::string_view* last) {
  for (; first != last; ++first) {
    if (*first == name) return true;
  }
  return false;
}

// `$schema` and `strict` out of every schema position (never out of a default or an
// example), for the JSON Schema form.
void strip_meta(ojson& s) {
  if (!s.is_object()) return;
  s.erase("$schema");
  s.erase("strict");
  for (auto it = s.begin(); it != s.end(); ++it) {
    const std::string& k = it.key();
    ojson& v = it.value();
    if (listed(k, std::begin(kSchemaKeys), std::end(kSchemaKeys))) {
      strip_meta(v);
    } else if (v.is_array() && listed(k, std::begin(kSchemaListKeys), std::end(kSchemaListKeys))) {
      for (ojson& sub : v) strip_meta(sub);
    } else if (v.is_object() && listed(k, std::begin(kSchemaMapKeys), std::end(kSchemaMapKeys))) {
      for (ojson& sub : v) strip_meta(sub);
    }
  }
}

bool free_form(const ojson& s) {
  if (!s.contains("additionalProperties")) return false;
  const ojson& a = s["additionalProperties"];
  return a.is_object() || a == true;
}

}  // namespace

ConvertedSchema convert_schema(raw::value schema, bool for_response) {
  ConvertedSchema result;
  if (!schema.is_object()) return result;
  const std::string_view text = schema.raw_json();
  ojson original = ojson::parse(text.begin(), text.end(), nullptr, false);
  if (original.is_discarded()) return result;
  Cleaner cleaner(original, for_response);
  const ojson cleaned = cleaner.clean(original, true);
  const bool no_params =
      cleaner.exact() && cleaned.contains("type") && cleaned["type"] == "OBJECT" && !cleaned.contains("properties");
  if (no_params && !free_form(original)) return result;
  if (cleaner.exact() && !no_params) {
    result.form = SchemaForm::openapi;
    result.json = cleaned.dump(-1, ' ', false, ojson::error_handler_t::replace);
    return result;
  }
  strip_meta(original);
  result.form = SchemaForm::json_schema;
  result.json = original.dump(-1, ' ', false, ojson::error_handler_t::replace);
  return result;
}

}  // namespace bal::openai::req
