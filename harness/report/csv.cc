#include "sluice/report/csv.h"

namespace sluice {

std::string CsvField(std::string_view s) {
  if (s.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(s);
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

std::string CsvLine(const std::vector<std::string>& fields) {
  std::string out;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) out += ',';
    out += CsvField(fields[i]);
  }
  out += '\n';
  return out;
}

std::vector<std::vector<std::string>> ParseCsv(std::string_view text, const std::string& name) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string field;
  size_t line = 1;
  size_t i = 0;
  bool in_row = false;
  while (i < text.size()) {
    const char c = text[i];
    if (c == '"' && field.empty()) {
      // A quoted field: up to the closing quote; "" is a quote.
      const size_t opened = line;
      ++i;
      bool closed = false;
      while (i < text.size()) {
        if (text[i] == '"') {
          if (i + 1 < text.size() && text[i + 1] == '"') {
            field += '"';
            i += 2;
            continue;
          }
          closed = true;
          ++i;
          break;
        }
        if (text[i] == '\n') ++line;
        field += text[i++];
      }
      if (!closed) {
        throw CsvError(name + ": truncated: the quoted field opened on line " + std::to_string(opened) +
                           " never closes");
      }
      if (i < text.size() && text[i] != ',' && text[i] != '\n' && text[i] != '\r') {
        throw CsvError(name + ":" + std::to_string(line) + ": text after a closing quote");
      }
      in_row = true;
      continue;
    }
    if (c == '"') throw CsvError(name + ":" + std::to_string(line) + ": a quote inside an unquoted field");
    if (c == ',') {
      row.push_back(std::move(field));
      field.clear();
      in_row = true;
      ++i;
      continue;
    }
    if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
      ++i;
      continue;
    }
    if (c == '\n') {
      row.push_back(std::move(field));
      field.clear();
      rows.push_back(std::move(row));
      row.clear();
      in_row = false;
      ++line;
      ++i;
      continue;
    }
    field += c;
    in_row = true;
    ++i;
  }
  if (in_row || !field.empty()) {
    throw CsvError(name + ": truncated: line " + std::to_string(line) +
                       " does not end with a line break");
  }
  return rows;
}

}  // namespace sluice
