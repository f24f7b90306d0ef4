// A scenario: one experiment, as a validated, immutable value.
//
// Configuration flows one way: YAML file (+ --set overrides, + one sweep cell's
// values) -> LoadPlan() -> a ScenarioPlan of fully validated Scenario values ->
// the runner. Nothing downstream re-reads YAML or the environment.
//
// LoadPlan() throws ScenarioError for any bad input, before anything runs; the
// message names the file, line, column, the dotted key and what was expected.
// Thread-safety: the values are plain data, safe to read from any thread.
#ifndef SLUICE_SCENARIO_SCENARIO_H_
#define SLUICE_SCENARIO_SCENARIO_H_

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "sluice/scenario/shard.h"

namespace sluice {

// Where a value came from: a place in the scenario file, or a command-line
// override ("--set producers.threads=2"). line and column are 1-based; 0 when
// unknown.
struct SourceLocation {
  std::string file;
  int line = 0;
  int column = 0;
  std::string origin;  // non-empty for values not written in the file

  std::string ToString() const;
};

// A bad scenario. what() reads "FILE:LINE:COL: KEY: MESSAGE".
class ScenarioError : public std::runtime_error {
 public:
  ScenarioError(SourceLocation where, std::string key, std::string message);

  const SourceLocation& where() const { return where_; }
  const std::string& key() const { return key_; }
  const std::string& message() const { return message_; }

 private:
  SourceLocation where_;
  std::string key_;
  std::string message_;
};

// Event size in bytes: fixed, or lognormal fitted to a median and a p99,
// truncated to [min, max].
struct SizeDistribution {
  enum class Kind { kFixed, kLognormal };
  Kind kind = Kind::kFixed;
  int64_t fixed = 200;
  int64_t median = 0;
  int64_t p99 = 0;
  int64_t min = 1;
  int64_t max = 1024 * 1024;
};

struct EventTypeSpec {
  std::string name;
  double weight = 1;
  SizeDistribution size;
};

// Message keys: none (null key), or "key-<n>" with n uniform or Zipf(s) over
// [0, count).
struct KeySpec {
  enum class Kind { kNone, kUniform, kZipf };
  Kind kind = Kind::kNone;
  int64_t count = 0;
  double zipf_exponent = 0;
};

enum class ArrivalKind { kConstant, kPoisson, kBursty, kRamp };

// Bursty arrivals alternate `on` and `off` windows; the on-window rate is
// `factor` times the off-window rate, and both are chosen so that the mean
// over a whole on+off period equals the scenario's rate.
struct BurstSpec {
  int64_t on_ns = 200'000'000;
  int64_t off_ns = 800'000'000;
  double factor = 5;
};

// A ramp goes linearly from `from_rate` to the scenario's rate over the whole
// run (warm-up included).
struct RampSpec {
  double from_rate = 0;
};

// What the bytes of synthetic events look like (see documents.h): `text`
// is word-like text; `bluesky` and `wikipedia` are JSON documents shaped like
// Jetstream commits and MediaWiki recent changes.
enum class PayloadFormat { kText, kBluesky, kWikipedia };

// rate: max: search each cell's highest sustainable rate (rate_search.h).
struct MaxRateSpec {
  int64_t p99_below_ns = 0;   // end-to-end p99 bound a probe must stay under
  int64_t probe_ns = 0;       // measured length of a probe (default: duration)
  double start = 1000;        // first rate tried
  double limit = 1e6;         // never tried above this
  int max_probes = 16;
};

struct SyntheticSourceSpec {
  double rate = 1000;  // mean events per second (with rate: max, of the probe being run)
  bool search_max_rate = false;  // rate: max
  MaxRateSpec max_rate;
  ArrivalKind arrival = ArrivalKind::kConstant;
  BurstSpec bursty;
  RampSpec ramp;
  std::vector<EventTypeSpec> events;
  KeySpec keys;
  PayloadFormat payload = PayloadFormat::kText;
};

// How a trace line's time field is read: `auto` takes numbers by magnitude
// (seconds, ms, us or ns since the Unix epoch) and strings as ISO-8601.
enum class TimeFormat { kAuto, kSeconds, kMillis, kMicros, kNanos, kIso8601 };
enum class BadLinePolicy { kSkip, kFail };

// Replays a recorded trace (JSON Lines, optionally gzip): see replay.h.
struct ReplaySourceSpec {
  std::string file;         // as written in the scenario
  std::string path;         // resolved: relative to the scenario file's folder
  std::string time_field;   // dotted path of the event time, e.g. time_us or meta.dt
  TimeFormat time_format = TimeFormat::kAuto;
  std::string key_field;    // dotted path of the message key; empty: null keys
  std::string type_field;   // dotted path of the event type; empty: one type "event"
  double speed = 1;         // 1: real time; 1000: a thousand times faster; 0: max
  int64_t loop = 1;         // passes over the file; 0: forever (until the run ends)
  BadLinePolicy on_bad_line = BadLinePolicy::kSkip;
  int64_t reorder_window = 1000;  // lines held back to put timestamps in order
};

enum class SourceKind { kSynthetic, kReplay };

// How the source waits for intended times (source.timing, see source.h).
// sleep: it sleeps between wake-ups and releases what is due in small
// batches. spin: it spins and yields up to each event's time (sub-
// microsecond release, about a core of CPU whatever the rate).
enum class SourceTiming { kSleep, kSpin };

// The sleeping source thread's scheduling (source.priority, see source.h).
// normal: like every other thread. realtime: SCHED_FIFO priority 1 while it
// keeps to its schedule, where the system allows it (root or
// CAP_SYS_NICE), so that its timer is served before the process's other
// threads and the cluster's; otherwise, and for spin timing, normal.
enum class SourcePriority { kNormal, kRealtime };

// queued: source -> bounded queue -> producer workers (the harness under
// test). direct: the source thread calls produce() itself, no queue and no
// workers: the plain librdkafka loop (rdkafka_performance's shape, and the
// seed course's simplest producer); it needs producers.threads: 1.
enum class PipelineKind { kQueued, kDirect };

// What the bounded queue does when the source finds it full. Named after what
// each one does to the events.
enum class WhenFull { kDropNewest, kDropOldest, kBlock };

struct QueueSpec {
  int64_t capacity = 10000;
  WhenFull when_full = WhenFull::kDropNewest;
};

enum class ClientMode { kPerThread, kShared };
enum class DeliveryMode { kAsync, kSync };

// A librdkafka property as written in the scenario, with its location so a
// value that librdkafka rejects can be reported against the file.
struct KafkaProperty {
  std::string name;
  std::string value;
  SourceLocation where;
};

struct ProducerSpec {
  int threads = 1;
  ClientMode client = ClientMode::kPerThread;
  DeliveryMode delivery = DeliveryMode::kAsync;
  std::vector<KafkaProperty> kafka;
  // Workers take up to this many events from the queue at once.
  int dequeue_batch = 256;
  // After the source stops: how long workers may go on draining the queue,
  // then how long the final flush may wait for delivery reports.
  int64_t drain_timeout_ns = 10'000'000'000;
  int64_t flush_timeout_ns = 10'000'000'000;
};

struct BrokerSpec {
  bool embedded = true;
  int brokers = 3;         // embedded only
  int64_t rtt_ns = 0;      // embedded only: injected round-trip time
  std::string bootstrap;   // real cluster only
  int64_t connect_timeout_ns = 10'000'000'000;  // real cluster: metadata check
};

struct TopicSpec {
  std::string name = "sluice";
  int partitions = 6;
  int replication = 1;
  std::vector<KafkaProperty> config;  // topic configs (real cluster)
  // true: every cell produces to exactly `name` and an existing topic is used
  // as it is; false: each cell gets a fresh topic `<name>.<run>.c<cell>r<rep>`.
  bool reuse = false;
};

// One action of `faults:`, applied at a time of each cell (faults.h says
// what each does and how it fails). Times are from the start of the cell's
// warm-up (the schedule's time 0), the same in every cell and repetition.
enum class FaultAction {
  kRtt,         // embedded: raise the brokers' round-trip time for `duration`
  kBrokerDown,  // embedded: one broker refuses connections for `duration`
  kErrors,      // embedded: the next `count` requests of a type fail with `error`
  kLeader,      // embedded: move partition leadership to `broker`
  kPause,       // tools/kafka-local: SIGSTOP a broker, SIGCONT after `duration`
  kKill,        // tools/kafka-local: SIGKILL a broker, start it after `duration`
  kExec,        // any cluster: run a command, its `undo` after `duration`
};

struct FaultSpec {
  FaultAction action = FaultAction::kRtt;
  int64_t at_ns = 0;
  int64_t duration_ns = 0;   // 0: an instant action (errors, leader) or no undo
  std::vector<int> brokers;  // rtt: empty means every broker; others: one broker id (from 1)
  int64_t rtt_ns = 0;        // rtt
  int request = 0;           // errors: the Kafka API key (Produce = 0)
  std::string request_name;  // errors: as written, e.g. Produce
  std::string error;         // errors: librdkafka's error name, e.g. NOT_ENOUGH_REPLICAS
  int64_t count = 0;         // errors: how many requests fail
  int partition = -1;        // leader: the partition, -1 for every one
  std::string run, undo;     // exec: shell commands (undo may be empty)
  SourceLocation where;      // of the entry in the file

  int64_t end_ns() const { return at_ns + duration_ns; }
  // One short phrase for reports, e.g. "rtt 200ms", "broker_down 2", "exec".
  std::string Label() const;
};

// librdkafka's code (rd_kafka_resp_err_t) of an error name as rd_kafka_err2name
// prints it, e.g. NOT_ENOUGH_REPLICAS -> 19, _TRANSPORT -> -195; 0 for an
// unknown name (NO_ERROR is not a fault). Pure.
int FaultErrorCode(const std::string& name);

// report: what the reports hold besides the whole-window figures.
struct ReportSpec {
  int64_t interval_ns = 1'000'000'000;  // timeseries.csv rows and the status line
};

// verify: what the topic holds, read back (pipeline/verify.h). `verify:
// true` carries each event's identity in a record header and runs a
// consumer that classifies every event; the map form sets the parts.
enum class IdentityCarrier { kHeaders, kValue };
struct VerifySpec {
  bool identity = false;  // events carry their identity (on with verify)
  bool consume = false;   // a consumer reads the topic back (verify.consume, default true)
  IdentityCarrier carrier = IdentityCarrier::kHeaders;  // verify.carrier: headers or value
  // After the flush, how long the consumer may take until the log has
  // settled (verify.timeout; Verifier::Finish).
  int64_t timeout_ns = 30'000'000'000;
  // How long a real cluster's log must stay still before the verifier
  // trusts it has read everything (verify.settle; Verifier::Finish).
  int64_t settle_ns = 1'000'000'000;
};

// One value of one swept key, e.g. producers.threads = 4.
struct Parameter {
  std::string key;
  std::string value;
  SourceLocation where;
};

// One line of a scenario's `expect:` map (or of an `expect_when` entry), as
// written. Compiled and checked by expectation.h; LoadPlan() refuses one that
// does not compile.
struct ExpectationSpec {
  std::string column;        // as written, e.g. latency.end_to_end.p99
  std::string condition;     // as written, e.g. "< 250ms"
  std::string key;           // dotted path in the file, e.g. expect_when.0.expect.dropped
  SourceLocation where;      // of the condition
  SourceLocation column_where;  // of the column name
  // expect_when: the cell's swept values these must all match; empty: every cell.
  std::vector<Parameter> when;
};

struct Scenario {
  std::string file;
  std::string name;
  std::string description;  // one line for people: report headers, report.json
  uint64_t seed = 1;
  int64_t duration_ns = 10'000'000'000;  // measured part of the run
  int64_t warmup_ns = 0;                 // before it, excluded from statistics
  BrokerSpec broker;
  TopicSpec topic;
  SyntheticSourceSpec source;
  SourceKind source_kind = SourceKind::kSynthetic;
  ReplaySourceSpec replay;  // source_kind == kReplay
  SourceTiming timing = SourceTiming::kSleep;
  SourcePriority priority = SourcePriority::kNormal;
  PipelineKind pipeline = PipelineKind::kQueued;
  QueueSpec queue;
  ProducerSpec producers;
  VerifySpec verify;
  int repeat = 1;
  // Which part of the offered load this process runs (`run --shard I/N`;
  // shard.h): set from the command line, not from the file.
  Shard shard;

  // The swept values this scenario was built with (empty without a sweep).
  std::vector<Parameter> parameters;

  // expect: and expect_when:, checked against each cell's report after it ran.
  std::vector<ExpectationSpec> expectations;

  std::vector<FaultSpec> faults;  // in the order of their `at`
  ReportSpec report;

  int64_t total_ns() const { return warmup_ns + duration_ns; }

  // How many event types the counters must hold: the synthetic types, or
  // for a replay every type index a trace can use (see replay.h).
  size_t type_slots() const {
    return source_kind == SourceKind::kReplay ? 256 : source.events.size();
  }
};

// A run plan: the cells of the sweep (the cartesian product of its values,
// in file order, last key varying fastest), each a complete Scenario.
struct ScenarioPlan {
  Scenario base;                      // the scenario with --set applied
  std::vector<std::string> swept_keys;
  std::vector<Scenario> cells;        // one per sweep combination
};

// The limits of a scenario (README.md, "Limits"). A file or a sweep past
// them is refused before anything is built.
constexpr size_t kMaxScenarioBytes = 1 << 20;   // the scenario file, 1 MiB
constexpr size_t kMaxSweepCells = 10'000;       // cells of one sweep
constexpr size_t kMaxEventTypes = 255;          // source.synthetic.events entries
constexpr size_t kMaxYamlNodes = 1'000'000;     // nodes, counting what aliases repeat

// Loads and validates `path`. `overrides` are "dotted.key=value" strings from
// --set; they apply to every cell, before the sweep. The file is read once
// (it must be a regular file of at most kMaxScenarioBytes; it is opened
// without blocking, so a FIFO is refused, not waited on) and parsed once:
// every cell is built from the one tree. Throws ScenarioError for bad input
// (file:line: key: what), Interrupted when StopRequested() (core/stop.h)
// while building the cells. Thread-safe (no shared state); allocates the
// plan.
ScenarioPlan LoadPlan(const std::string& path, const std::vector<std::string>& overrides);

// LoadPlan() on `text` as if it were the content of `path` (which is only
// named in errors and used to resolve relative trace paths). For tests and
// the fuzz target.
ScenarioPlan LoadPlanFromText(const std::string& path, const std::string& text,
                              const std::vector<std::string>& overrides);

// " (did you mean 'x'?)" when one of `candidates` is close to `word` (edit
// distance), else "".
std::string DidYouMean(const std::string& word, const std::vector<std::string>& candidates);

// Canonical names, for reports.
const char* ToString(ArrivalKind kind);
const char* ToString(WhenFull policy);
const char* ToString(ClientMode mode);
const char* ToString(DeliveryMode mode);
const char* ToString(PipelineKind kind);
const char* ToString(PayloadFormat format);
const char* ToString(TimeFormat format);
const char* ToString(BadLinePolicy policy);
const char* ToString(SourceTiming timing);
const char* ToString(SourcePriority priority);
const char* ToString(FaultAction action);
const char* ToString(IdentityCarrier carrier);

}  // namespace sluice

#endif  // SLUICE_SCENARIO_SCENARIO_H_
