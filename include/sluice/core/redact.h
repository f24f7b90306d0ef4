// Secrets never leave the process: librdkafka properties that carry a
// password, a key or a token are shown as kRedacted in every output (the
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
// sasl.oauthbearer.client.secret, ssl.key.pem, ssl_key,
// sasl.oauthbearer.config, ssl.certificate.pem is not secret) and for any
// name containing "password", "secret" or "token". The test is on the name
// only, case-insensitive, and on the last dotted part of a prefixed key
// ("producers.kafka.sasl.password").
bool IsSecretProperty(std::string_view name);

// `value`, or kRedacted when `name` is a secret property.
std::string RedactValue(std::string_view name, std::string_view value);

}  // namespace sluice

#endif  // SLUICE_CORE_REDACT_H_
