#pragma once

#include <string>

namespace looplive::http::detail {

// The Date header for now; formatted at most once per second per thread.
const std::string& current_http_date();

}  // namespace looplive::http::detail
