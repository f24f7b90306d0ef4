// ScopeExit: runs a clean-up when the scope ends, however it ends (return,
// exception), unless released. For resets and releases that must happen on
// every path of a long function.
//
//   ScopeExit reset([&] { next_start_ = 0; });
//
// Thread-safety: as the callable's. The callable must not throw.
#ifndef SLUICE_CORE_SCOPE_EXIT_H_
#define SLUICE_CORE_SCOPE_EXIT_H_

#include <utility>

namespace sluice {

template <class F>
class [[nodiscard]] ScopeExit {
 public:
  explicit ScopeExit(F f) : f_(std::move(f)) {}
  ~ScopeExit() {
    if (active_) f_();
  }
  ScopeExit(const ScopeExit&) = delete;
  ScopeExit& operator=(const ScopeExit&) = delete;

  // The clean-up will not run.
  void Release() { active_ = false; }

 private:
  F f_;
  bool active_ = true;
};

}  // namespace sluice

#endif  // SLUICE_CORE_SCOPE_EXIT_H_
