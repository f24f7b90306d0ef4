// The failure of an analysis command's library part (compare, merge, plot):
// what() says why, naming the file or folder; kind() says which kind of
// failure it was, so that the command (harness/cli) can choose its exit code.
#ifndef SLUICE_ANALYSIS_ERROR_H_
#define SLUICE_ANALYSIS_ERROR_H_

#include <stdexcept>
#include <string>

namespace sluice {

class AnalysisError : public std::runtime_error {
 public:
  enum class Kind {
    kRefused,     // the input or the options: nothing was written
    kUnwritable,  // an output file or folder could not be written
  };
  explicit AnalysisError(const std::string& what, Kind kind = Kind::kRefused)
      : std::runtime_error(what), kind_(kind) {}
  Kind kind() const { return kind_; }

 private:
  Kind kind_;
};

}  // namespace sluice

#endif  // SLUICE_ANALYSIS_ERROR_H_
