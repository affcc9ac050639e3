#pragma once

#include <exception>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace looplive::core {

// What kind of failure it is, for the callers that act on it (an API status,
// a retry, an admission verdict): they branch on the code, never on a type.
enum class ErrorCode {
  invalid,         // the input is wrong (what parsers report)
  not_found,       // no stream has this id
  already_exists,  // the id is taken
  conflict,        // the stream's status forbids it (ended is final)
  unavailable,     // the database cannot be reached now: try again
  full,            // a cap is reached (a queue is full): try again once it drains
};
std::string_view error_code_name(ErrorCode code);

// A domain error: its code, and a message a log line can show as it is, with
// each layer's step in front ("admission: db: connection refused").
struct Error {
  std::string message;
  ErrorCode code = ErrorCode::invalid;

  Error wrap(const std::string& step) const { return Error{step + ": " + message, code}; }
};

// An Error thrown, where exceptions are the way (start-up, blocking jobs such
// as database calls). Callers catch it and branch on code().
class Failure : public std::runtime_error {
 public:
  explicit Failure(Error error);
  Failure(ErrorCode code, const std::string& message) : Failure(Error{message, code}) {}
  const Error& error() const noexcept { return error_; }
  ErrorCode code() const noexcept { return error_.code; }

 private:
  Error error_;
};

// The code of the Failure `thrown` holds; nothing for any other exception.
std::optional<ErrorCode> error_code_of(const std::exception_ptr& thrown);

}  // namespace looplive::core
