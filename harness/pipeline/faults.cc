#include "sluice/pipeline/faults.h"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "sluice/core/clock.h"
#include "sluice/core/units.h"

namespace sluice {
namespace {

// How much of a command's output an outcome keeps.
constexpr int kOutputLines = 5;
constexpr size_t kOutputBytes = 2000;

bool IsEmbeddedAction(FaultAction a) {
  return a == FaultAction::kRtt || a == FaultAction::kBrokerDown || a == FaultAction::kErrors ||
         a == FaultAction::kLeader;
}

bool HasUndo(const FaultSpec& f) {
  if (f.duration_ns <= 0) return false;
  if (f.action == FaultAction::kExec) return !f.undo.empty();
  return f.action != FaultAction::kLeader;
}

std::string Quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// Sets the round-trip time of `brokers` (empty: every broker, -1 to the
// mock) to `rtt_ns`; stops at the first error.
rd_kafka_resp_err_t SetRtt(rd_kafka_mock_cluster_t* mock, const std::vector<int>& brokers, int64_t rtt_ns) {
  const int ms = static_cast<int>(rtt_ns / 1'000'000);
  if (brokers.empty()) return rd_kafka_mock_broker_set_rtt(mock, -1, ms);
  for (int b : brokers) {
    if (const rd_kafka_resp_err_t err = rd_kafka_mock_broker_set_rtt(mock, b, ms)) return err;
  }
  return RD_KAFKA_RESP_ERR_NO_ERROR;
}

}  // namespace

std::string ActiveFaults(const std::vector<FaultSpec>& faults, double from_s, double to_s) {
  std::string out;
  for (const FaultSpec& f : faults) {
    const double at = f.at_ns / 1e9, end = f.end_ns() / 1e9;
    const bool active = f.duration_ns > 0 ? at < to_s && end > from_s : at >= from_s && at < to_s;
    if (active) out += (out.empty() ? "" : ";") + f.Label();
  }
  return out;
}

FaultInjector::FaultInjector(std::vector<FaultSpec> faults, FaultTarget target)
    : faults_(std::move(faults)), target_(std::move(target)) {
  for (const FaultSpec& f : faults_) {
    FaultOutcome o;
    o.label = f.Label();
    o.at_s = f.at_ns / 1e9;
    o.duration_s = f.duration_ns / 1e9;
    outcomes_.push_back(std::move(o));
  }
  active_.assign(faults_.size(), false);
}

FaultInjector::~FaultInjector() { Stop(); }

void FaultInjector::Start(int64_t epoch_ns) {
  epoch_ns_ = epoch_ns;
  if (faults_.empty()) return;
  thread_ = std::thread([this] { Run(); });
}

void FaultInjector::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

double FaultInjector::Now() const { return (NowNs() - epoch_ns_) / 1e9; }

void FaultInjector::Run() {
  struct Step {
    int64_t at_ns;
    size_t fault;
    bool undo;
  };
  std::vector<Step> steps;
  for (size_t i = 0; i < faults_.size(); ++i) {
    steps.push_back({faults_[i].at_ns, i, false});
    if (HasUndo(faults_[i])) steps.push_back({faults_[i].end_ns(), i, true});
  }
  std::stable_sort(steps.begin(), steps.end(), [](const Step& a, const Step& b) { return a.at_ns < b.at_ns; });
  for (const Step& step : steps) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      const auto due = std::chrono::steady_clock::time_point(std::chrono::nanoseconds(epoch_ns_ + step.at_ns));
      // NowNs() is the steady clock (core/clock.h).
      if (wake_.wait_until(lock, due, [this] { return stop_; })) break;
    }
    if (step.undo) {
      if (active_[step.fault]) Undo(step.fault);
    } else {
      Apply(step.fault);
    }
  }
  // The run is over (or the faults are): leave the cluster as it was.
  for (size_t i = 0; i < faults_.size(); ++i) {
    if (active_[i]) Undo(i);
  }
}

void FaultInjector::Fail(size_t i, const std::string& why) {
  const FaultSpec& f = faults_[i];
  outcomes_[i].error = why;
  if (error_.empty()) {
    error_ = "fault " + std::to_string(i) + " (" + f.Label() + " at " + FormatDuration(f.at_ns) + ", " +
             f.where.file + ":" + std::to_string(f.where.line) + "): " + why;
  }
}

bool FaultInjector::RunCommand(size_t i, const std::string& command) {
  FaultOutcome& o = outcomes_[i];
  const std::string shell = "exec 2>&1; " + command;
  FILE* pipe = ::popen(("sh -c " + Quote(shell)).c_str(), "r");
  if (pipe == nullptr) {
    Fail(i, "cannot run '" + command + "'");
    return false;
  }
  std::string output;
  int lines = 0;
  char buffer[512];
  while (std::fgets(buffer, sizeof buffer, pipe) != nullptr) {
    if (lines < kOutputLines && output.size() < kOutputBytes) {
      output += buffer;
      if (!output.empty() && output.back() == '\n') ++lines;
    }
  }
  const int status = ::pclose(pipe);
  o.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
  while (!output.empty() && output.back() == '\n') output.pop_back();
  if (!o.output.empty() && !output.empty()) o.output += "\n";
  o.output += output;
  if (o.exit_code != 0) {
    Fail(i, "'" + command + "' exited with " + std::to_string(o.exit_code) +
                (output.empty() ? "" : ": " + output.substr(0, output.find('\n'))));
    return false;
  }
  return true;
}

void FaultInjector::Apply(size_t i) {
  const FaultSpec& f = faults_[i];
  FaultOutcome& o = outcomes_[i];
  o.applied_s = Now();
  if (IsEmbeddedAction(f.action) && target_.mock == nullptr) {
    Fail(i, std::string(ToString(f.action)) + " acts on the embedded broker, and this cell runs against a real "
                                              "cluster (use pause, kill or exec there)");
    o.applied_s = NAN;
    return;
  }
  if ((f.action == FaultAction::kPause || f.action == FaultAction::kKill) && target_.mock != nullptr) {
    Fail(i, std::string(ToString(f.action)) + " acts on a cluster from tools/kafka-local (run with --bootstrap); "
                                              "on the embedded broker use broker_down");
    o.applied_s = NAN;
    return;
  }
  rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
  const char* call = "";
  switch (f.action) {
    case FaultAction::kRtt:
      call = "rd_kafka_mock_broker_set_rtt";
      err = SetRtt(target_.mock, f.brokers, f.rtt_ns);
      break;
    case FaultAction::kBrokerDown:
      call = "rd_kafka_mock_broker_set_down";
      err = rd_kafka_mock_broker_set_down(target_.mock, f.brokers.front());
      break;
    case FaultAction::kErrors: {
      const auto code = static_cast<rd_kafka_resp_err_t>(FaultErrorCode(f.error));
      std::vector<rd_kafka_resp_err_t> errors(static_cast<size_t>(f.count), code);
      rd_kafka_mock_push_request_errors_array(target_.mock, static_cast<int16_t>(f.request), errors.size(),
                                              errors.data());
      break;
    }
    case FaultAction::kLeader:
      call = "rd_kafka_mock_partition_set_leader";
      for (int p = 0; p < target_.partitions; ++p) {
        if (f.partition >= 0 && p != f.partition) continue;
        if (!err) err = rd_kafka_mock_partition_set_leader(target_.mock, target_.topic.c_str(), p, f.brokers.front());
      }
      break;
    case FaultAction::kPause:
    case FaultAction::kKill:
      if (target_.kafka_local.empty()) {
        Fail(i, "tools/kafka-local was not found (give --kafka-local PATH)");
        o.applied_s = NAN;
        return;
      }
      if (!RunCommand(i, target_.kafka_local + (f.action == FaultAction::kPause ? " pause " : " kill ") +
                             std::to_string(f.brokers.front()))) {
        return;
      }
      break;
    case FaultAction::kExec:
      if (!RunCommand(i, f.run)) return;
      break;
  }
  if (err) {
    Fail(i, std::string(call) + ": " + rd_kafka_err2str(err));
    return;
  }
  active_[i] = HasUndo(f);
}

void FaultInjector::Undo(size_t i) {
  const FaultSpec& f = faults_[i];
  FaultOutcome& o = outcomes_[i];
  active_[i] = false;
  o.undone_s = Now();
  rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
  const char* call = "";
  switch (f.action) {
    case FaultAction::kRtt:
      call = "rd_kafka_mock_broker_set_rtt";
      err = SetRtt(target_.mock, f.brokers, target_.base_rtt_ns);
      break;
    case FaultAction::kBrokerDown:
      call = "rd_kafka_mock_broker_set_up";
      err = rd_kafka_mock_broker_set_up(target_.mock, f.brokers.front());
      break;
    case FaultAction::kErrors:
      rd_kafka_mock_clear_request_errors(target_.mock, static_cast<int16_t>(f.request));
      break;
    case FaultAction::kLeader:
      break;
    case FaultAction::kPause:
    case FaultAction::kKill:
      RunCommand(i, target_.kafka_local + (f.action == FaultAction::kPause ? " resume " : " start ") +
                        std::to_string(f.brokers.front()));
      break;
    case FaultAction::kExec:
      RunCommand(i, f.undo);
      break;
  }
  if (err) Fail(i, std::string(call) + " (undo): " + rd_kafka_err2str(err));
}

}  // namespace sluice
