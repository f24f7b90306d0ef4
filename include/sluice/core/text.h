// Small string helpers that every layer shares.
//
// Thread-safety: pure functions; none allocates but to build its result.
#ifndef SLUICE_CORE_TEXT_H_
#define SLUICE_CORE_TEXT_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace sluice {

// `s` without leading and trailing white space (isspace in the C locale).
std::string_view Trim(std::string_view s);

// The parts with `separator` between them: Join({"a", "b"}, ", ") is "a, b".
std::string Join(const std::vector<std::string>& parts, std::string_view separator);

// The position of `name` in `names`, or npos when it is not there.
size_t IndexOf(const std::vector<std::string>& names, std::string_view name);

}  // namespace sluice

#endif  // SLUICE_CORE_TEXT_H_
