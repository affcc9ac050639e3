#include <catch2/catch.hpp>

#include <stdexcept>

#include "looplive/core/error.hpp"

using namespace looplive::core;

TEST_CASE("a failure keeps its code under a chain of context") {
  const Failure inner(ErrorCode::unavailable, "connection refused");
  const Failure outer(inner.error().wrap("storing its end").wrap("stream 1c2"));
  CHECK(outer.code() == ErrorCode::unavailable);
  CHECK(std::string(outer.what()) == "stream 1c2: storing its end: connection refused");
  CHECK(outer.error().message == outer.what());
  CHECK(std::string(inner.what()) == "connection refused");
  // A parser's error is invalid input unless it says otherwise.
  CHECK(Error{"bad track line"}.wrap("recording index").code == ErrorCode::invalid);
  CHECK(error_code_name(ErrorCode::already_exists) == "already_exists");
}

TEST_CASE("the code of a thrown failure is found without knowing its type") {
  const auto code_of = [](auto thrown) {
    try {
      throw thrown;
    } catch (...) {
      return error_code_of(std::current_exception());
    }
  };
  CHECK(code_of(Failure(ErrorCode::not_found, "no stream")) == ErrorCode::not_found);
  CHECK(code_of(Failure(Error{"ended", ErrorCode::conflict}.wrap("rotating"))) ==
        ErrorCode::conflict);
  CHECK_FALSE(code_of(std::runtime_error("other")).has_value());
}
