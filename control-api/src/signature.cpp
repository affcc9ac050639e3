#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <optional>
#include <stdexcept>

#include "looplive/control_api/webhooks.hpp"

namespace looplive::control_api {

namespace {

std::string hmac_sha256(std::string_view key, std::string_view message) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int length = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac.data(),
           &length) == nullptr)
    throw std::runtime_error("HMAC-SHA256 failed");
  return std::string(reinterpret_cast<const char*>(mac.data()), length);
}

// Nothing when `text` is not padded base64.
std::optional<std::string> from_base64(std::string_view text) {
  if (text.empty() || text.size() % 4 != 0) return std::nullopt;
  std::string out(text.size() / 4 * 3, '\0');
  const int length = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                     reinterpret_cast<const unsigned char*>(text.data()),
                                     static_cast<int>(text.size()));
  if (length < 0) return std::nullopt;
  // EVP_DecodeBlock counts the padding as zero bytes.
  const size_t padding = text.ends_with("==") ? 2 : text.ends_with("=") ? 1 : 0;
  out.resize(static_cast<size_t>(length) - padding);
  return out;
}

std::string to_base64(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int length = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                     reinterpret_cast<const unsigned char*>(bytes.data()),
                                     static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(length));
  return out;
}

}  // namespace

std::string standard_webhook_signature(std::string_view secret, std::string_view id,
                                       std::string_view timestamp, std::string_view body) {
  if (secret.starts_with("whsec_")) secret.remove_prefix(6);
  const auto key = from_base64(secret);
  if (!key) return {};
  std::string message;
  message.reserve(id.size() + timestamp.size() + body.size() + 2);
  message.append(id).append(".").append(timestamp).append(".").append(body);
  return "v1," + to_base64(hmac_sha256(*key, message));
}

std::string webhook_signature(std::string_view secret, std::string_view timestamp,
                              std::string_view body) {
  std::string message;
  message.reserve(timestamp.size() + 1 + body.size());
  message.append(timestamp).append(".").append(body);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "sha256=";
  for (const char byte : hmac_sha256(secret, message)) {
    const auto value = static_cast<unsigned char>(byte);
    out += kHex[value >> 4];
    out += kHex[value & 15];
  }
  return out;
}

std::chrono::milliseconds webhook_backoff(const control_api::WebhookConfig& config, int attempts) {
  auto delay = config.initial_backoff;
  for (int i = 1; i < attempts && delay < config.max_backoff; ++i) delay *= 2;
  return std::min(delay, config.max_backoff);
}

}  // namespace looplive::control_api
