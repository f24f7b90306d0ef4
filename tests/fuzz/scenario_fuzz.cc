// Fuzz target: the scenario loader, from YAML text (LoadPlanFromText). Any
// input must end in a plan or a ScenarioError; anything else (another
// exception, a crash, a sanitizer report) is a bug. A line "#set K=V" in
// the input is also given as a --set override.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "sluice/scenario/scenario.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> sets;
  for (size_t at = text.find("#set "); at != std::string::npos; at = text.find("#set ", at + 1)) {
    size_t end = text.find('\n', at);
    sets.push_back(text.substr(at + 5, end == std::string::npos ? std::string::npos : end - at - 5));
    if (sets.size() == 4) break;
  }
  try {
    sluice::ScenarioPlan plan = sluice::LoadPlanFromText("fuzz.yaml", text, sets);
    // Touch what was built, so that nothing is optimised away.
    volatile size_t cells = plan.cells.size();
    (void)cells;
  } catch (const sluice::ScenarioError&) {
    // Refused with a message: the expected outcome for most inputs.
  }
  return 0;
}
