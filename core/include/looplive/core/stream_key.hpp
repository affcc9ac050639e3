#pragma once

#include <string>
#include <string_view>

namespace looplive::core {

// "sk_" followed by URL-safe base64 (no padding) of 32 random bytes.
std::string generate_stream_key();
// Hex SHA-256 of the key: the only form in which a key is stored.
std::string hash_stream_key(std::string_view key);
// At most a short prefix, for logs: "sk_Xh0…". The only way a key reaches a log.
std::string redact_key(std::string_view key);

}  // namespace looplive::core
