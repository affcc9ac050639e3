#pragma once

#include <functional>

#include "looplive/http/request.hpp"
#include "looplive/http/response.hpp"

namespace looplive::http {

// Sends the response. Callable from any thread; the first call counts, later
// ones are ignored. Dropping every copy without calling it answers 500. Copies
// must not outlive the server's io_context: stop handler threads first.
using Respond = std::function<void(Response)>;

// Called on the connection's executor. The Request stays valid until `respond`
// is called; the handler may call it at once or later, from anywhere. The next
// request on the connection is read only after this response is written.
using Handler = std::function<void(const Request& request, Respond respond)>;

}  // namespace looplive::http
