// Fuzz target: the CSV reader that compare and plot read report.csv with
// (report/csv.h). Any input must parse or be refused with a CsvError.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "sluice/report/csv.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    auto rows = sluice::ParseCsv(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.csv");
    volatile size_t n = rows.size();
    (void)n;
  } catch (const sluice::CsvError&) {
    // Refused with a message naming the line.
  }
  return 0;
}
