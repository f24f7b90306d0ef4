#include "sluice/core/redact.h"

#include <algorithm>
#include <array>
#include <cctype>

namespace sluice {

bool IsSecretProperty(std::string_view name) {
  std::string lower(name);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  // librdkafka's own sensitive properties (CONFIGURATION.md, _RK_SENSITIVE),
  // matched as the key or its dotted suffix.
  static constexpr std::array<std::string_view, 6> kSensitive = {
      "sasl.password", "ssl.key.password", "ssl.keystore.password",
      "sasl.oauthbearer.client.secret", "ssl.key.pem", "sasl.oauthbearer.config"};
  for (std::string_view s : kSensitive) {
    if (lower == s) return true;
    if (lower.size() > s.size() && lower.compare(lower.size() - s.size(), s.size(), s) == 0 &&
        lower[lower.size() - s.size() - 1] == '.') {
      return true;
    }
  }
  for (std::string_view word : {"password", "secret"}) {
    if (lower.find(word) != std::string::npos) return true;
  }
  return false;
}

std::string RedactValue(std::string_view name, std::string_view value) {
  return IsSecretProperty(name) ? std::string(kRedacted) : std::string(value);
}

}  // namespace sluice
