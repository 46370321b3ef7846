// router_internal.h — what router.cpp and router_admin.cpp share.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "balancer/router.h"

namespace bal::detail {

inline bool starts_with(std::string_view s, std::string_view p) {
  return s.substr(0, p.size()) == p;
}

// A request header's value ("" when absent).
std::string_view header(const Request& r, std::string_view name);

// The credentials of "Authorization: Bearer T" (the scheme in any case), or "".
std::string_view bearer(const Request& r);

// Asks for the request's body, read up to `max_bytes`.
Plan need_body(uint64_t max_bytes);

// The answer when the request's body was too large, could not be read or did not arrive in
// time; nullopt otherwise.
std::optional<Plan> body_refusal(Family family, const Request& r);

// The answer when a JSON body the core is about to parse holds more values, or a container
// more items, than `limits` allow (413); nullopt otherwise. Too deep a body is left to the
// parser, whose 400 says where.
std::optional<Plan> json_refusal(Family family, std::string_view body, const JsonLimits& limits);

// `p` with a Retry-After header of `wait_ms`, rounded up to whole seconds.
Plan with_retry_after(Plan p, int64_t wait_ms);

Plan route_admin(const Config& c, const Request& r, std::string_view path, RouterState& state);

}  // namespace bal::detail
