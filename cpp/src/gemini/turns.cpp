// Gemini turns written part by part (gemini.h).
#include "balancer/gemini.h"
#include "balancer/jsonout.h"

namespace bal::gemini {

JsonOut& Turns::part(std::string_view role) {
  if (!open_ || role != role_) {
    if (open_) out_.end_array().end_object();
    out_.begin_object();
    if (with_role_) out_.key("role").string(role);
    out_.key("parts").begin_array();
    open_ = true;
    role_ = role;
  }
  ++count_;
  return out_;
}

void Turns::close() {
  if (open_) out_.end_array().end_object();
  open_ = false;
}

}  // namespace bal::gemini
