// CSV as sluice writes and reads it (RFC 4180): records end with LF (CRLF is
// read too); a field holding a comma, a quote or a line break is quoted, and
// quotes inside it are doubled. The one writer (the report files, compare's
// --csv) and the one reader (compare) of the project.
//
// Thread-safety: pure functions. Errors: ParseCsv throws CsvError.
#ifndef SLUICE_REPORT_CSV_H_
#define SLUICE_REPORT_CSV_H_

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace sluice {

class CsvError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// One field, quoted when it must be.
std::string CsvField(std::string_view s);

// One record: the fields joined by ',' and a '\n'.
std::string CsvLine(const std::vector<std::string>& fields);

// Every record of `text`. Throws CsvError (naming `name` and the line) on an
// open quote at the end, a stray quote, and when the text does not end with
// a line break (a truncated file).
std::vector<std::vector<std::string>> ParseCsv(std::string_view text, const std::string& name);

}  // namespace sluice

#endif  // SLUICE_REPORT_CSV_H_
