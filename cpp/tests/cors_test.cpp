#include "balancer/cors.h"

#include <catch2/catch.hpp>

TEST_CASE("CORS: unset or * allows any origin", "[cors]") {
  bal::CorsPolicy p;
  CHECK(p.allows_any());
  CHECK(p.allow_origin("https://anything.example") == "*");
  CHECK(p.allow_origin("") == "*");
  for (const char* list : {"", " , ", "*", "https://a.example, *"}) {
    INFO(list);
    p.assign(list);
    CHECK(p.allows_any());
  }
}

TEST_CASE("CORS: a listed origin is reflected as sent, any other gets nothing", "[cors]") {
  bal::CorsPolicy p;
  p.assign(" https://app.example/ ,http://localhost:5173");
  CHECK_FALSE(p.allows_any());
  CHECK(p.allow_origin("https://app.example") == "https://app.example");
  CHECK(p.allow_origin("https://APP.example") == "https://APP.example");
  CHECK(p.allow_origin("http://localhost:5173") == "http://localhost:5173");
  for (const char* o : {"", "null", "https://app.example.evil", "https://evil.example", "http://app.example",
                        "https://app.example:8443", "http://localhost:5174", "https://sub.app.example"}) {
    INFO(o);
    CHECK(p.allow_origin(o).empty());
  }
}

TEST_CASE("CORS: \"null\" is never allowed, and a list of nothing usable allows nothing", "[cors]") {
  bal::CorsPolicy p;
  p.assign("null");
  CHECK_FALSE(p.allows_any());
  CHECK(p.allow_origin("null").empty());
  CHECK(p.allow_origin("https://a.example").empty());
}
