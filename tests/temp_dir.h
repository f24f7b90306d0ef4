// A temporary folder for one test, removed with everything in it when the
// TempDir goes out of scope. Shared by the unit and integration tests.
#ifndef SLUICE_TESTS_TEMP_DIR_H_
#define SLUICE_TESTS_TEMP_DIR_H_

#include <unistd.h>

#include <filesystem>
#include <string>
#include <system_error>

namespace sluice::test_support {

class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "sluice-test") {
    path_ = std::filesystem::temp_directory_path() /
            (prefix + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;  // never throw from a destructor
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::string File(const std::string& name) const { return (path_ / name).string(); }

 private:
  static inline int counter_ = 0;
  std::filesystem::path path_;
};

}  // namespace sluice::test_support

#endif  // SLUICE_TESTS_TEMP_DIR_H_
