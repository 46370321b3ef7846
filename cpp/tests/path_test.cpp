#include "balancer/path.h"

#include <catch2/catch.hpp>

TEST_CASE("plain API paths are safe", "[path]") {
  for (const char* p : {"/v1beta/models/gemini-2.5-flash:generateContent", "/v1/models", "/upload/v1beta/files",
                        "/v1beta/models/gemini-2.5-flash%3AgenerateContent", "/api/keys", "/v1beta/files/abc-123"}) {
    INFO(p);
    CHECK(bal::is_safe_path(p));
  }
}

TEST_CASE("path tricks are refused", "[path]") {
  for (const char* p : {"",
                        "v1beta/models",
                        "/v1beta/../api/keys",
                        "/v1beta/./models",
                        "/v1beta//models",
                        "/v1beta/%2e%2e/api",
                        "/v1beta/%2E%2E/api",
                        "/v1beta/models%2fx",
                        "/v1beta/models%2F..",
                        "/v1beta\\..\\api",
                        "/v1beta/%5c",
                        "/v1beta/%00",
                        "/v1beta/%",
                        "/v1beta/%zz",
                        "/v1beta/a b",
                        "/v1beta/models?x",
                        "/v1beta/models#x",
                        "/v1beta/%25%32%65",
                        "/..",
                        "/v1beta/.."}) {
    INFO(p);
    CHECK_FALSE(bal::is_safe_path(p));
  }
  CHECK_FALSE(bal::is_safe_path("/" + std::string(3000, 'a')));
}

TEST_CASE("key= is stripped from queries, other parameters kept byte for byte", "[path]") {
  std::string value;
  CHECK(bal::strip_system_params("alt=sse&key=abc%20d&pageSize=5", &value) == "alt=sse&pageSize=5");
  CHECK(value == "abc%20d");
  CHECK(bal::strip_system_params("key=a&key=b") == "");
  CHECK(bal::strip_system_params("keyword=x&akey=y") == "keyword=x&akey=y");
  CHECK(bal::strip_system_params("") == "");
  CHECK(bal::strip_system_params("a=1&&b=%2F") == "a=1&b=%2F");
}

TEST_CASE("credentials and overrides are stripped however their names are spelt", "[path]") {
  // Google percent-decodes names and reads "$name" as the system parameter "name".
  for (const char* q : {"key=a",
                        "%6bey=a",
                        "%6B%65%79=a",
                        "$key=a",
                        "%24key=a",
                        "%24%6bey=a",
                        "KEY=a",
                        "access_token=t",
                        "%61ccess_token=t",
                        "$access_token=t",
                        "oauth_token=t",
                        "bearer_token=t",
                        "$httpMethod=DELETE",
                        "%24httpMethod=DELETE",
                        "httpmethod=GET",
                        "$method=DELETE",
                        "userProject=p",
                        "$userProject=p",
                        "passwd=x",
                        "password=x",
                        "key"}) {
    INFO(q);
    CHECK(bal::strip_system_params(std::string("alt=sse&") + q + "&pageSize=5") == "alt=sse&pageSize=5");
  }
  for (const char* q :
       {"keys=a", "key%20=a", "$$key=a", "monkey=a", "alt=sse", "$alt=sse", "%24fields=x", "pageToken=k"}) {
    INFO(q);
    CHECK(bal::strip_system_params(q) == q);
  }
  std::string value;
  CHECK(bal::strip_system_params("%6bey=tok&$key=other", &value).empty());
  CHECK(value == "tok");
}

TEST_CASE("percent decoding", "[path]") {
  CHECK(bal::percent_decode("a%20b%2Fc") == "a b/c");
  CHECK(bal::percent_decode("%zz%4") == "%zz%4");
  CHECK(bal::percent_decode("%e4%b8%ad") == "\xe4\xb8\xad");
}

TEST_CASE("encoded and absolute forms of traversal are refused", "[path]") {
  for (const char* p : {"//evil.example/v1beta/models",
                        "http://evil.example/v1beta",
                        "https:/x",
                        "/v1beta/models/%2e",
                        "/v1beta/models/.%2e/x",
                        "/v1beta/models/%2E./x",
                        "/v1beta/%5C..%5Capi",
                        "/v1beta/%u002e%u002e",
                        "/v1beta/models/x%0d%0aHost:%20evil",
                        "/v1beta/models/x\r\nHost: evil",
                        "/v1beta/models/\t",
                        "/v1beta/models/%7f",
                        "/v1beta/models/\x7f",
                        "/v1beta/models/x%",
                        "/v1beta/models/x%2",
                        "/v1beta/models/\xc3\xa9",
                        "/v1beta/models/x//y",
                        "/v1beta/models/x/./y",
                        "/v1beta/models/x/../y",
                        "/v1beta/models/%252e%252e"}) {
    INFO(p);
    CHECK_FALSE(bal::is_safe_path(p));
  }
}
