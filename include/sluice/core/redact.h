// Secrets never leave the process: librdkafka properties that carry a
// password, a private key or a client secret are shown as kRedacted in every output (the
// console, report.json, the effective configuration).
//
// Thread-safety: pure functions.
#ifndef SLUICE_CORE_REDACT_H_
#define SLUICE_CORE_REDACT_H_

#include <string>
#include <string_view>

namespace sluice {

inline constexpr std::string_view kRedacted = "[redacted]";

// True for the properties librdkafka itself treats as sensitive
// (sasl.password, ssl.key.password, ssl.keystore.password,
// sasl.oauthbearer.client.secret, ssl.key.pem, sasl.oauthbearer.config), also
// under a prefix ("producers.kafka.sasl.password"), and for any name
// containing "password" or "secret". Case-insensitive; on the name only.
bool IsSecretProperty(std::string_view name);

// `value`, or kRedacted when `name` is a secret property.
std::string RedactValue(std::string_view name, std::string_view value);

}  // namespace sluice

#endif  // SLUICE_CORE_REDACT_H_
