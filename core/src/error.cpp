#include "looplive/core/error.hpp"

namespace looplive::core {

std::string_view error_code_name(ErrorCode code) {
  switch (code) {
    case ErrorCode::invalid:
      return "invalid";
    case ErrorCode::not_found:
      return "not_found";
    case ErrorCode::already_exists:
      return "already_exists";
    case ErrorCode::conflict:
      return "conflict";
    case ErrorCode::unavailable:
      return "unavailable";
    case ErrorCode::full:
      return "full";
  }
  return "unknown";
}

Failure::Failure(Error error) : std::runtime_error(error.message), error_(std::move(error)) {}

std::optional<ErrorCode> error_code_of(const std::exception_ptr& thrown) {
  try {
    std::rethrow_exception(thrown);
  } catch (const Failure& failure) {
    return failure.code();
  } catch (...) {
    return std::nullopt;
  }
}

}  // namespace looplive::core
