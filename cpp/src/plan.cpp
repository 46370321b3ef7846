#include "balancer/plan.h"

namespace bal {
namespace {

struct HttpName {
  int status;
  const char* grpc;
  const char* openai_type;
};

// Read top to bottom: the HTTP status, Google's status name, OpenAI's error type.
constexpr HttpName kHttpNames[] = {
    {400, "INVALID_ARGUMENT", "invalid_request_error"},
    {401, "UNAUTHENTICATED", "authentication_error"},
    {403, "PERMISSION_DENIED", "permission_error"},
    {404, "NOT_FOUND", "invalid_request_error"},
    {405, "INVALID_ARGUMENT", "invalid_request_error"},
    {408, "DEADLINE_EXCEEDED", "timeout_error"},
    {409, "ABORTED", "invalid_request_error"},
    {413, "INVALID_ARGUMENT", "invalid_request_error"},
    {415, "INVALID_ARGUMENT", "invalid_request_error"},
    {429, "RESOURCE_EXHAUSTED", "rate_limit_error"},
    {499, "CANCELLED", "invalid_request_error"},
    {500, "INTERNAL", "server_error"},
    {501, "UNIMPLEMENTED", "server_error"},
    {502, "UNAVAILABLE", "server_error"},
    {503, "UNAVAILABLE", "server_error"},
    {504, "DEADLINE_EXCEEDED", "timeout_error"},
};

const HttpName* find_name(int status) {
  for (const HttpName& n : kHttpNames) {
    if (n.status == status) return &n;
  }
  return nullptr;
}

}  // namespace

const char* grpc_status_for_http(int status) {
  if (const HttpName* n = find_name(status)) return n->grpc;
  return status >= 500 ? "INTERNAL" : "FAILED_PRECONDITION";
}

const char* openai_type_for_http(int status) {
  if (const HttpName* n = find_name(status)) return n->openai_type;
  return status >= 500 ? "server_error" : "invalid_request_error";
}

const json& data_answer_headers() {
  static const json headers = {{"x-content-type-options", "nosniff"}, {"content-security-policy", "sandbox"}};
  return headers;
}

Plan respond_json(int status, const json& body) {
  Plan p;
  p.header["action"] = "respond";
  p.header["status"] = status;
  p.header["headers"] = data_answer_headers();
  p.header["headers"]["content-type"] = "application/json; charset=utf-8";
  p.payload = dump_json(body);
  return p;
}

json openai_error_body(std::string_view message, std::string_view type, std::string_view code,
                       std::string_view param) {
  json err = {{"message", message}, {"type", type}, {"param", nullptr}, {"code", nullptr}};
  if (!param.empty()) err["param"] = param;
  if (!code.empty()) err["code"] = code;
  return {{"error", std::move(err)}};
}

json gemini_error_body(int status, std::string_view message) {
  return {{"error", {{"code", status}, {"message", message}, {"status", grpc_status_for_http(status)}}}};
}

json admin_error_body(std::string_view message, std::string_view code) {
  return {{"error", {{"message", message}, {"code", code}}}};
}

Plan error_plan(Family family, int status, std::string_view message, std::string_view code) {
  switch (family) {
    case Family::openai:
      return respond_json(status, openai_error_body(message, openai_type_for_http(status), code));
    case Family::gemini:
      return respond_json(status, gemini_error_body(status, message));
    case Family::admin:
      break;
  }
  return respond_json(status, admin_error_body(message, code.empty() ? grpc_status_for_http(status) : code));
}

}  // namespace bal
