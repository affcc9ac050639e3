// Reads arbitrary request bodies as the control API reads POST /v1/streams:
// whatever the bytes, the answer is a JSON object or an ApiError, and a
// stored metadata object can be written out again (depth is bounded, so
// writing it cannot exhaust an I/O thread's stack).

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "api_error.hpp"
#include "request_body.hpp"

namespace api = looplive::control_api;

namespace {

void expect(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  looplive::http::Request request;
  request.message.body().assign(reinterpret_cast<const char*>(data), size);
  try {
    const nlohmann::json body = api::json_body(request);
    expect(body.is_object());
    // Each field the handlers read, as they read it.
    api::optional_bool(body, "record");
    api::optional_string(body, "id");
    if (auto it = body.find("metadata"); it != body.end() && it->is_object()) {
      const std::string stored = it->dump();
      expect(nlohmann::json::parse(stored) == *it);
    }
    api::reject_unknown_fields(body, {"id", "record", "metadata"});
  } catch (const api::ApiError& error) {
    const auto status = static_cast<unsigned>(error.status());
    expect(status == 400 || status == 422);
  }
  return 0;
}
