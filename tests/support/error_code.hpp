#pragma once

// CHECK_THROWS_MATCHES(expr, core::Failure, HasCode(core::ErrorCode::not_found))

#include <string>

#include <catch2/catch.hpp>

#include "looplive/core/error.hpp"

namespace looplive::test {

class HasCode : public Catch::MatcherBase<core::Failure> {
 public:
  explicit HasCode(core::ErrorCode code) : code_(code) {}
  bool match(const core::Failure& failure) const override { return failure.code() == code_; }
  std::string describe() const override {
    return "has code " + std::string(core::error_code_name(code_));
  }

 private:
  core::ErrorCode code_;
};

}  // namespace looplive::test
