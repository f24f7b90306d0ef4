// DocumentPool: realistic JSON payloads for synthetic events, shaped like the
// seed course's streams, so that compression settings are measured on bytes
// that compress like real events do.
//
//   bluesky    Jetstream commits: {"did", "time_us", "kind":"commit",
//              "commit":{"rev", "operation", "collection", "rkey", "record":
//              {"$type", "createdAt", "langs", "text"}, "cid"}}. The type
//              name is the operation (create, update, delete, or any other).
//   wikipedia  MediaWiki recentchange events: "$schema", "meta" (uri, ids,
//              domain, dt, offset), "id", "type", "namespace", "title",
//              "title_url", "timestamp", "user", "bot", "length", "revision",
//              "server_*", "wiki", "comment" and "parsedcomment" (the same
//              text twice, as MediaWiki sends it). The type name is "type"
//              (edit, new, log, categorize, or any other).
//
// How an event's bytes are made, without allocating: at construction each
// event type gets kTemplates documents whose fixed fields (DIDs, record
// keys, titles, users, wikis, byte lengths, languages, ids) are drawn from
// the seed, each split around one free-text field; and one pool of text
// drawn from a word-frequency model (common English words by rank, then a
// Zipf-ranked tail of made-up words; sentences, hashtags, mentions, links).
// Write() picks a template and a text offset from the event's sequence
// number, copies template head, text and template tail so that the document
// is exactly event.size bytes, and stamps the time fields with the event's
// intended time. The template is drawn among those small enough for the
// size; a size below the smallest template of its type gets a minimal
// document {"text":"..."} (or, under 12 bytes, text alone).
//
// The same (format, types, seed) give the same bytes for the same (seq,
// type, size, intended time) on every machine.
//
// Thread-safety: immutable after construction; Write() may run on any
// thread and never allocates. Construction allocates.
#ifndef SLUICE_PIPELINE_DOCUMENTS_H_
#define SLUICE_PIPELINE_DOCUMENTS_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "sluice/core/event.h"
#include "sluice/scenario/scenario.h"

namespace sluice {

class DocumentPool {
 public:
  static constexpr size_t kTemplates = 1024;

  DocumentPool(PayloadFormat format, const std::vector<EventTypeSpec>& types, uint64_t seed,
               size_t text_bytes = 4 << 20);

  // Writes exactly event.size bytes into `out`: the document of event
  // (seq, type), with its times set to epoch_us + intended_ns / 1000
  // (microseconds since the Unix epoch).
  void Write(const Event& event, int64_t epoch_us, char* out) const;

  // The smallest whole document (template) of `type`, in bytes.
  size_t MinSize(uint16_t type) const { return min_size_[type]; }

 private:
  struct Template {
    std::string head;        // up to the free-text field's opening quote
    std::string middle;      // between two copies of the text ("" : one copy)
    std::string tail;        // after the text
    int time_us_at = -1;     // 16 digits of microseconds
    int seconds_at = -1;     // 10 digits of seconds
    int iso_at = -1;         // 24 chars: 2026-09-17T03:42:33.778Z
    size_t fixed() const { return head.size() + middle.size() + tail.size(); }
  };

  void BuildBluesky(const std::string& type, uint64_t seed, std::vector<Template>* out) const;
  void BuildWikipedia(const std::string& type, uint64_t seed, std::vector<Template>* out) const;

  PayloadFormat format_;
  std::string text_;  // ASCII, no '"' or '\\': safe inside a JSON string
  std::vector<std::vector<Template>> templates_;  // by type
  std::vector<size_t> min_size_;                  // by type
  std::vector<std::vector<uint32_t>> by_size_;    // by type: template indices, smallest first
  std::vector<std::vector<size_t>> sizes_;        // by type: their fixed sizes, ascending
};

// Writes `us` (microseconds since the Unix epoch) as 2026-09-17T03:42:33.778Z
// into `out` (24 bytes). Never allocates.
void FormatIsoMillis(int64_t us, char* out);

}  // namespace sluice

#endif  // SLUICE_PIPELINE_DOCUMENTS_H_
