#include "sluice/pipeline/documents.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "sluice/core/random.h"
#include "sluice/pipeline/source.h"

namespace sluice {

namespace {

// The most frequent English words, by rank: they make up about half of any
// text, which is much of why text compresses the way it does.
const char* const kCommonWords[] = {
    "the", "of", "and", "to", "a", "in", "is", "it", "you", "that", "he", "was", "for", "on",
    "are", "with", "as", "I", "his", "they", "be", "at", "one", "have", "this", "from", "or",
    "had", "by", "not", "word", "but", "what", "some", "we", "can", "out", "other", "were",
    "all", "there", "when", "up", "use", "your", "how", "said", "an", "each", "she", "which",
    "do", "their", "time", "if", "will", "way", "about", "many", "then", "them", "write",
    "would", "like", "so", "these", "her", "long", "make", "thing", "see", "him", "two", "has",
    "look", "more", "day", "could", "go", "come", "did", "number", "sound", "no", "most",
    "people", "my", "over", "know", "water", "than", "call", "first", "who", "may", "down",
    "side", "been", "now", "find", "any", "new", "work", "part", "take", "get", "place", "made",
    "live", "where", "after", "back", "little", "only", "round", "man", "year", "came", "show",
    "every", "good", "me", "give", "our", "under", "name", "very", "through", "just", "form",
    "sentence", "great", "think", "say", "help", "low", "line", "differ", "turn", "cause",
    "much", "mean", "before", "move", "right", "boy", "old", "too", "same", "tell", "does",
    "set", "three", "want", "air", "well", "also", "play", "small", "end", "put", "home",
    "read", "hand", "port", "large", "spell", "add", "even", "land", "here", "must", "big",
    "high", "such", "follow", "act", "why", "ask", "men", "change", "went", "light", "kind",
    "off", "need", "house", "picture", "try", "us", "again", "animal", "point", "mother",
    "world", "near", "build", "self", "earth", "father", "today", "love", "game", "music",
    "news", "post", "city", "team", "photo", "video", "school", "week", "night", "morning"};

const char* const kSyllables[] = {"ka", "lo", "mi", "ne", "ru", "sa", "to", "vi", "pe", "da",
                                  "go", "shi", "an", "el", "or", "un", "qua", "ber", "tin", "ly",
                                  "mar", "ton", "is", "ex", "pro", "con", "ing", "ed", "er", "st"};

constexpr char kBase32[] = "abcdefghijklmnopqrstuvwxyz234567";
constexpr char kHex[] = "0123456789abcdef";

std::string Random(Rng& rng, const char* alphabet, size_t alphabet_size, size_t n) {
  std::string s(n, ' ');
  for (auto& c : s) c = alphabet[rng.Below(alphabet_size)];
  return s;
}

std::string Base32(Rng& rng, size_t n) { return Random(rng, kBase32, 32, n); }

std::string Uuid(Rng& rng) {
  std::string s = Random(rng, kHex, 16, 32);
  return s.substr(0, 8) + "-" + s.substr(8, 4) + "-" + s.substr(12, 4) + "-" + s.substr(16, 4) +
         "-" + s.substr(20);
}

std::string Digits(Rng& rng, size_t n) {
  std::string s = Random(rng, "0123456789", 10, n);
  if (s[0] == '0') s[0] = '1';
  return s;
}

class Vocabulary {
 public:
  explicit Vocabulary(Rng& rng) : zipf_(kRanked, 1.05) {
    for (const char* w : kCommonWords) words_.emplace_back(w);
    while (words_.size() < kRanked) {
      std::string w;
      size_t syllables = 1 + rng.Below(4);
      for (size_t i = 0; i < syllables; ++i) w += kSyllables[rng.Below(std::size(kSyllables))];
      words_.push_back(w);
    }
  }
  const std::string& Word(Rng& rng) const { return words_[zipf_.Sample(rng)]; }
  std::string Capitalized(Rng& rng) const {
    std::string w = Word(rng);
    if (w[0] >= 'a' && w[0] <= 'z') w[0] = static_cast<char>(w[0] - 'a' + 'A');
    return w;
  }

 private:
  static constexpr size_t kRanked = 5000;
  ZipfSampler zipf_;
  std::vector<std::string> words_;
};

// Sentences of ranked words, with the decorations social posts carry.
std::string MakeText(Rng& rng, const Vocabulary& vocab, size_t bytes) {
  std::string text;
  text.reserve(bytes + 256);
  while (text.size() < bytes) {
    size_t words = 4 + rng.Below(18);
    for (size_t i = 0; i < words; ++i) {
      uint64_t roll = rng.Below(100);
      if (i == 0) {
        text += vocab.Capitalized(rng);
      } else if (roll < 2) {
        text += "#" + vocab.Word(rng);
      } else if (roll < 3) {
        text += "@" + vocab.Word(rng) + ".bsky.social";
      } else if (roll < 4) {
        text += "https://" + vocab.Word(rng) + ".com/" + Base32(rng, 6 + rng.Below(6));
      } else if (roll < 6) {
        text += std::to_string(rng.Below(roll < 5 ? 100 : 3000));
      } else {
        text += vocab.Word(rng);
      }
      text += i + 1 == words ? "" : (rng.Below(12) == 0 ? ", " : " ");
    }
    static const char* kEnds[] = {". ", ". ", ". ", "! ", "? ", "... ", " :) "};
    text += kEnds[rng.Below(std::size(kEnds))];
  }
  return text;
}

void WriteDigits(uint64_t v, size_t width, char* out) {
  for (size_t i = width; i-- > 0;) {
    out[i] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
}

// Splits a complete document at the marker "\x01" (where the text goes) and
// "\x02" (a second copy of the text), and finds the time placeholders.
void Split(const std::string& doc, std::string* head, std::string* middle, std::string* tail) {
  size_t a = doc.find('\x01');
  size_t b = doc.find('\x02');
  *head = doc.substr(0, a);
  if (b == std::string::npos) {
    middle->clear();
    *tail = doc.substr(a + 1);
  } else {
    *middle = doc.substr(a + 1, b - a - 1);
    *tail = doc.substr(b + 1);
  }
}

constexpr const char* kTimeUs = "TTTTTTTTTTTTTTTT";           // 16
constexpr const char* kSeconds = "SSSSSSSSSS";                // 10
constexpr const char* kIso = "IIIIIIIIIIIIIIIIIIIIIIII";      // 24

int Find(const std::string& head, const char* placeholder) {
  size_t at = head.find(placeholder);
  return at == std::string::npos ? -1 : static_cast<int>(at);
}

}  // namespace

void FormatIsoMillis(int64_t us, char* out) {
  int64_t ms = us >= 0 ? us / 1000 : -((-us + 999) / 1000);
  int64_t days = ms >= 0 ? ms / 86'400'000 : -((-ms + 86'399'999) / 86'400'000);
  int64_t in_day = ms - days * 86'400'000;
  // H. Hinnant's civil_from_days.
  int64_t z = days + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
  WriteDigits(static_cast<uint64_t>(std::clamp<int64_t>(y, 0, 9999)), 4, out);
  out[4] = '-';
  WriteDigits(m, 2, out + 5);
  out[7] = '-';
  WriteDigits(d, 2, out + 8);
  out[10] = 'T';
  WriteDigits(static_cast<uint64_t>(in_day / 3'600'000), 2, out + 11);
  out[13] = ':';
  WriteDigits(static_cast<uint64_t>(in_day / 60'000 % 60), 2, out + 14);
  out[16] = ':';
  WriteDigits(static_cast<uint64_t>(in_day / 1000 % 60), 2, out + 17);
  out[19] = '.';
  WriteDigits(static_cast<uint64_t>(in_day % 1000), 3, out + 20);
  out[23] = 'Z';
}

DocumentPool::DocumentPool(PayloadFormat format, const std::vector<EventTypeSpec>& types,
                           uint64_t seed, size_t text_bytes)
    : format_(format) {
  if (format == PayloadFormat::kText) throw std::invalid_argument("DocumentPool needs a JSON format");
  Rng rng(Rng::Derive(seed, 40));
  Vocabulary vocab(rng);
  // The text must hold the largest event, with room to slide over.
  size_t largest = 1;
  for (const auto& t : types) {
    largest = std::max<size_t>(largest, static_cast<size_t>(
        t.size.kind == SizeDistribution::Kind::kFixed ? t.size.fixed : t.size.max));
  }
  text_ = MakeText(rng, vocab, std::max<size_t>({text_bytes, 64 << 10, 2 * largest}));
  for (size_t t = 0; t < types.size(); ++t) {
    std::vector<Template> list;
    uint64_t type_seed = Rng::Derive(seed, 1000 + t);
    if (format == PayloadFormat::kBluesky) {
      BuildBluesky(types[t].name, type_seed, &list);
    } else {
      BuildWikipedia(types[t].name, type_seed, &list);
    }
    std::vector<uint32_t> order(list.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<uint32_t>(i);
    std::stable_sort(order.begin(), order.end(),
                     [&](uint32_t a, uint32_t b) { return list[a].fixed() < list[b].fixed(); });
    std::vector<size_t> sizes;
    for (uint32_t i : order) sizes.push_back(list[i].fixed());
    min_size_.push_back(sizes.front());
    by_size_.push_back(std::move(order));
    sizes_.push_back(std::move(sizes));
    templates_.push_back(std::move(list));
  }
}

void DocumentPool::BuildBluesky(const std::string& type, uint64_t seed,
                                std::vector<Template>* out) const {
  Rng rng(seed);
  Vocabulary vocab(rng);
  static const char* kLangs[] = {"en", "en", "en", "en", "en", "ja", "ja", "pt", "de", "es", "fr", "ko"};
  for (size_t i = 0; i < kTemplates; ++i) {
    std::string did = "did:plc:" + Base32(rng, 24);
    std::string head = R"({"did":")" + did + R"(","time_us":)" + kTimeUs +
                       R"(,"kind":"commit","commit":{"rev":")" + Base32(rng, 13) +
                       R"(","operation":")" + type + R"(",)";
    std::string doc;
    if (type == "delete") {
      static const char* kCollections[] = {"app.bsky.feed.like", "app.bsky.feed.post",
                                           "app.bsky.graph.follow", "app.bsky.feed.repost"};
      // A real delete carries no text: extra requested bytes go to "text".
      doc = head + R"("collection":")" + kCollections[rng.Below(4)] + R"(","rkey":")" +
            Base32(rng, 13) + R"(","text":")" + "\x01" + R"("}})";
    } else {
      std::string record = R"("record":{"$type":"app.bsky.feed.post","createdAt":")" +
                           std::string(kIso) + R"(",)";
      uint64_t shape = rng.Below(10);
      if (shape < 2) {
        std::string parent = "at://did:plc:" + Base32(rng, 24) + "/app.bsky.feed.post/" + Base32(rng, 13);
        record += R"("reply":{"parent":{"cid":"bafyrei)" + Base32(rng, 52) + R"(","uri":")" + parent +
                  R"("},"root":{"cid":"bafyrei)" + Base32(rng, 52) + R"(","uri":")" + parent + R"("}},)";
      } else if (shape < 3) {
        record += R"("embed":{"$type":"app.bsky.embed.external","external":{"description":")" +
                  vocab.Capitalized(rng) + " " + vocab.Word(rng) + R"(","title":")" +
                  vocab.Capitalized(rng) + " " + vocab.Word(rng) + " " + vocab.Word(rng) +
                  R"(","uri":"https://)" + vocab.Word(rng) + ".com/" + Base32(rng, 10) + R"("}},)";
      }
      record += R"("langs":[")" + std::string(kLangs[rng.Below(std::size(kLangs))]) + R"("],"text":")";
      doc = head + R"("collection":"app.bsky.feed.post","rkey":")" + Base32(rng, 13) + R"(",)" +
            record + "\x01" + R"("},"cid":"bafyrei)" + Base32(rng, 52) + R"("}})";
    }
    Template t;
    Split(doc, &t.head, &t.middle, &t.tail);
    t.time_us_at = Find(t.head, kTimeUs);
    t.iso_at = Find(t.head, kIso);
    out->push_back(std::move(t));
  }
}

void DocumentPool::BuildWikipedia(const std::string& type, uint64_t seed,
                                  std::vector<Template>* out) const {
  Rng rng(seed);
  Vocabulary vocab(rng);
  struct Wiki {
    const char* name;
    const char* domain;
  };
  static const Wiki kWikis[] = {
      {"commonswiki", "commons.wikimedia.org"}, {"commonswiki", "commons.wikimedia.org"},
      {"wikidatawiki", "www.wikidata.org"},     {"enwiki", "en.wikipedia.org"},
      {"idwiki", "id.wikipedia.org"},           {"dewiki", "de.wikipedia.org"},
      {"frwiki", "fr.wikipedia.org"},           {"arwiktionary", "ar.wiktionary.org"},
      {"eswiki", "es.wikipedia.org"},           {"jawiki", "ja.wikipedia.org"}};
  for (size_t i = 0; i < kTemplates; ++i) {
    const Wiki& w = kWikis[rng.Below(std::size(kWikis))];
    int ns = type == "categorize" ? 14 : (rng.Below(4) == 0 ? 6 : 0);
    std::string title;
    size_t words = 1 + rng.Below(4);
    for (size_t k = 0; k < words; ++k) title += (k ? " " : "") + vocab.Capitalized(rng);
    if (ns == 14) title = "Category:" + title;
    if (ns == 6) title = "File:" + title + " " + Digits(rng, 4) + ".jpg";
    std::string url_title = title;
    std::replace(url_title.begin(), url_title.end(), ' ', '_');
    bool bot = rng.Below(10) < 7;
    std::string user = vocab.Capitalized(rng) + (bot ? "Bot" : Digits(rng, 1 + rng.Below(4)));
    std::string server = std::string("https://") + w.domain;
    std::string id = Digits(rng, 10);
    uint64_t old_len = 200 + rng.Below(60000);
    uint64_t new_len = old_len + rng.Below(4000) - 1000;
    std::string old_rev = Digits(rng, 9), new_rev = Digits(rng, 10);
    std::string doc = R"({"$schema":"/mediawiki/recentchange/1.0.0","meta":{"uri":")" + server +
                      "/wiki/" + url_title + R"(","request_id":")" + Uuid(rng) + R"(","id":")" +
                      Uuid(rng) + R"(","domain":")" + w.domain +
                      R"(","stream":"mediawiki.recentchange","dt":")" + kIso +
                      R"(","topic":"eqiad.mediawiki.recentchange","partition":0,"offset":)" +
                      Digits(rng, 10) + R"(},"id":)" + id + R"(,"type":")" + type +
                      R"(","namespace":)" + std::to_string(ns) + R"(,"title":")" + title +
                      R"(","title_url":")" + server + "/wiki/" + url_title + R"(","timestamp":)" +
                      kSeconds + R"(,"user":")" + user + R"(","bot":)" + (bot ? "true" : "false");
    if (type == "edit" || type == "new") {
      doc += R"(,"notify_url":")" + server + "/w/index.php?diff=" + new_rev + "&oldid=" + old_rev +
             "&rcid=" + id + R"(","minor":)" + (rng.Below(5) == 0 ? "true" : "false") +
             R"(,"patrolled":true,"length":{)" +
             (type == "edit" ? R"("old":)" + std::to_string(old_len) + "," : std::string()) +
             R"("new":)" + std::to_string(new_len) + R"(},"revision":{)" +
             (type == "edit" ? R"("old":)" + old_rev + "," : std::string()) + R"("new":)" + new_rev + "}";
    } else if (type == "log") {
      static const char* kLogs[][2] = {{"upload", "upload"}, {"newusers", "create"},
                                       {"thanks", "thank"}, {"delete", "delete"}};
      auto& l = kLogs[rng.Below(4)];
      doc += R"(,"log_id":)" + Digits(rng, 9) + R"(,"log_type":")" + l[0] + R"(","log_action":")" +
             l[1] + R"(","log_params":[],"log_action_comment":")" + l[1] + " " + title + "\"";
    } else {
      doc += R"(,"notify_url":")" + server + "/wiki/" + url_title + "\"";
    }
    doc += R"(,"server_url":")" + server + R"(","server_name":")" + w.domain +
           R"(","server_script_path":"/w","wiki":")" + w.name + R"(","comment":")" + "\x01" +
           R"(","parsedcomment":")" + "\x02" + R"("})";
    Template t;
    Split(doc, &t.head, &t.middle, &t.tail);
    t.iso_at = Find(t.head, kIso);
    t.seconds_at = Find(t.head, kSeconds);
    out->push_back(std::move(t));
  }
}

namespace {
uint64_t Mix(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  return x ^ (x >> 33);
}
}  // namespace

void DocumentPool::Write(const Event& event, int64_t epoch_us, char* out) const {
  const size_t size = event.size;
  const uint64_t h = Mix(event.seq * 0x9E3779B97F4A7C15ULL + event.type);
  const size_t text_span = text_.size() - 1;
  const char* text = text_.data() + Mix(h) % (text_span - size);  // text_ > 2 x any size
  const auto& sizes = sizes_[event.type];
  const size_t fitting = static_cast<size_t>(
      std::upper_bound(sizes.begin(), sizes.end(), size) - sizes.begin());
  if (fitting == 0) {
    // Too small for a whole document: {"text":"..."}, or text alone.
    if (size >= 12) {
      std::memcpy(out, R"({"text":")", 9);
      std::memcpy(out + 9, text, size - 11);
      std::memcpy(out + size - 2, "\"}", 2);
    } else {
      std::memcpy(out, text, size);
    }
    return;
  }
  const Template* t = &templates_[event.type][by_size_[event.type][h % fitting]];
  size_t free = size - t->fixed();
  char* p = out;
  std::memcpy(p, t->head.data(), t->head.size());
  p += t->head.size();
  if (t->middle.empty()) {
    std::memcpy(p, text, free);
    p += free;
  } else {
    size_t first = free / 2, second = free - first;
    std::memcpy(p, text, first);
    p += first;
    std::memcpy(p, t->middle.data(), t->middle.size());
    p += t->middle.size();
    std::memcpy(p, text, second);
    p += second;
  }
  std::memcpy(p, t->tail.data(), t->tail.size());
  // A copied text cut mid-word may end in a space or begin with one: fine
  // for JSON. Now the times.
  const int64_t us = epoch_us + event.intended_ns / 1000;
  if (t->time_us_at >= 0) WriteDigits(static_cast<uint64_t>(std::max<int64_t>(0, us)), 16, out + t->time_us_at);
  if (t->seconds_at >= 0) WriteDigits(static_cast<uint64_t>(std::max<int64_t>(0, us / 1'000'000)), 10, out + t->seconds_at);
  if (t->iso_at >= 0) FormatIsoMillis(us, out + t->iso_at);
}

}  // namespace sluice
