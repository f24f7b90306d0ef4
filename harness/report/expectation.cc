#include "sluice/report/expectation.h"

#include <cctype>
#include <cmath>
#include <map>
#include <memory>
#include <optional>

#include "sluice/report/report_columns.h"
#include "sluice/report/reporter.h"

namespace sluice {
namespace {

// ---- columns --------------------------------------------------------------

// The columns a cell's expectations may name: the report's own, the swept
// keys (described by this cell's values), and the "_ms"-less latency names.
class Columns {
 public:
  Columns(const std::vector<std::string>& swept_keys, const std::vector<Parameter>& parameters) {
    for (const auto& c : CsvHeader()) {
      info_[c] = DescribeColumn(c);
      names_.push_back(c);
    }
    for (const auto& key : swept_keys) {
      std::string value;
      for (const auto& p : parameters) {
        if (p.key == key) value = p.value;
      }
      info_[key] = DescribeValue(value);
      names_.push_back(key);
    }
  }

  // The report column `name` refers to, or "".
  std::string Resolve(const std::string& name) const {
    if (info_.count(name) > 0) return name;
    if (info_.count(name + "_ms") > 0) return name + "_ms";
    return "";
  }

  // ColumnInfo as seen through `name`: an alias without the unit in its name
  // does not lend its unit to bare numbers.
  ColumnInfo Info(const std::string& name) const {
    const std::string column = Resolve(name);
    ColumnInfo info = info_.at(column);
    if (column != name) info.unit_in_name = false;
    return info;
  }

  std::vector<std::string> Candidates() const {
    std::vector<std::string> out = names_;
    for (const auto& c : names_) {
      if (c.size() > 3 && c.compare(c.size() - 3, 3, "_ms") == 0) out.push_back(c.substr(0, c.size() - 3));
    }
    return out;
  }

 private:
  std::map<std::string, ColumnInfo> info_;
  std::vector<std::string> names_;
};

// A cell's report row, by column name.
class Row {
 public:
  Row(const CellResult& result, const std::vector<std::string>& swept_keys) {
    std::vector<std::string> header = CsvHeader();
    header.insert(header.end(), swept_keys.begin(), swept_keys.end());
    std::vector<std::string> fields = CsvRow(result, swept_keys);
    for (size_t i = 0; i < header.size() && i < fields.size(); ++i) values_[header[i]] = fields[i];
  }
  const std::string& Text(const std::string& column) const {
    static const std::string kEmpty;
    auto it = values_.find(column);
    return it == values_.end() ? kEmpty : it->second;
  }

 private:
  std::map<std::string, std::string> values_;
};

// A column's value in canonical units; nullopt when the field is empty.
std::optional<double> NumericValue(const Row& row, const std::string& column, const ColumnInfo& info) {
  const std::string& text = row.Text(column);
  if (text.empty()) return std::nullopt;
  if (auto q = ParseQuantity(text)) {
    // A swept value with a unit is canonical already; a report number is in
    // the column's unit.
    return q->dim == Dimension{} ? q->value * info.scale : q->value;
  }
  // Report numbers may be negative (none today) or use exponents.
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  if (end == text.c_str() || *end != '\0') return std::nullopt;
  return v * info.scale;
}

// ---- expressions ----------------------------------------------------------

struct Token {
  enum Kind { kNumber, kName, kOp, kPlus, kMinus, kStar, kSlash, kLeft, kRight, kPercent, kEnd };
  Kind kind = kEnd;
  std::string text;
};

class CompileError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

std::vector<Token> Lex(const std::string& s) {
  std::vector<Token> out;
  size_t i = 0;
  auto is_name_start = [](char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; };
  auto is_name = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.';
  };
  while (i < s.size()) {
    const char c = s[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
      continue;
    }
    if (std::isdigit(static_cast<unsigned char>(c)) ||
        (c == '.' && i + 1 < s.size() && std::isdigit(static_cast<unsigned char>(s[i + 1])))) {
      size_t j = i;
      while (j < s.size() && (std::isdigit(static_cast<unsigned char>(s[j])) || s[j] == '.' || s[j] == '_')) ++j;
      if (j + 1 < s.size() && (s[j] == 'e' || s[j] == 'E')) {
        size_t k = j + 1;
        if (k < s.size() && (s[k] == '+' || s[k] == '-')) ++k;
        if (k < s.size() && std::isdigit(static_cast<unsigned char>(s[k]))) {
          while (k < s.size() && std::isdigit(static_cast<unsigned char>(s[k]))) ++k;
          j = k;
        }
      }
      // A unit written right after the number: letters, '/', and the micro sign.
      while (j < s.size() && (std::isalpha(static_cast<unsigned char>(s[j])) || s[j] == '/' ||
                              static_cast<unsigned char>(s[j]) >= 0x80)) {
        ++j;
      }
      out.push_back({Token::kNumber, s.substr(i, j - i)});
      i = j;
      continue;
    }
    if (is_name_start(c)) {
      size_t j = i;
      while (j < s.size() && is_name(s[j])) ++j;
      while (j > i && s[j - 1] == '.') --j;
      out.push_back({Token::kName, s.substr(i, j - i)});
      i = j;
      continue;
    }
    if (c == '<' || c == '>' || c == '=' || c == '!') {
      std::string op(1, c);
      if (i + 1 < s.size() && s[i + 1] == '=') op += '=';
      if (op == "!") throw CompileError("'!' must be followed by '=': write !=");
      out.push_back({Token::kOp, op == "=" ? "==" : op});
      i += op.size();
      continue;
    }
    Token::Kind kind;
    switch (c) {
      case '+': kind = Token::kPlus; break;
      case '-': kind = Token::kMinus; break;
      case '*': kind = Token::kStar; break;
      case '/': kind = Token::kSlash; break;
      case '(': kind = Token::kLeft; break;
      case ')': kind = Token::kRight; break;
      case '%': kind = Token::kPercent; break;
      default: throw CompileError(std::string("unexpected character '") + c + "'");
    }
    out.push_back({kind, std::string(1, c)});
    ++i;
  }
  out.push_back({Token::kEnd, ""});
  return out;
}

struct Node {
  enum Kind { kLiteral, kColumn, kNegate, kAdd, kSubtract, kMultiply, kDivide };
  Kind kind = kLiteral;
  double value = 0;  // literal, canonical
  bool bare = false;  // a literal written without a unit
  std::string column;  // kColumn: the report column
  ColumnInfo info;     // kColumn
  Dimension dim;
  std::unique_ptr<Node> a, b;
};

class Parser {
 public:
  Parser(std::vector<Token> tokens, const Columns& columns)
      : tokens_(std::move(tokens)), columns_(columns) {}

  const Token& Peek() const { return tokens_[pos_]; }
  Token Take() { return tokens_[pos_++]; }
  bool AtName(const char* word) const { return Peek().kind == Token::kName && Peek().text == word; }
  void Expect(Token::Kind kind, const char* what) {
    if (Peek().kind != kind) throw CompileError(std::string("expected ") + what + Found());
    ++pos_;
  }
  std::string Found() const {
    return Peek().kind == Token::kEnd ? " at the end" : ", found '" + Peek().text + "'";
  }

  std::unique_ptr<Node> Expression() {
    auto left = Term();
    while (Peek().kind == Token::kPlus || Peek().kind == Token::kMinus) {
      const bool add = Take().kind == Token::kPlus;
      auto right = Term();
      left = Combine(add ? Node::kAdd : Node::kSubtract, std::move(left), std::move(right));
    }
    return left;
  }

 private:
  std::unique_ptr<Node> Term() {
    auto left = Factor();
    while (Peek().kind == Token::kStar || Peek().kind == Token::kSlash) {
      const bool multiply = Take().kind == Token::kStar;
      auto right = Factor();
      left = Combine(multiply ? Node::kMultiply : Node::kDivide, std::move(left), std::move(right));
    }
    return left;
  }

  std::unique_ptr<Node> Factor() {
    auto node = std::make_unique<Node>();
    if (Peek().kind == Token::kMinus) {
      Take();
      node->kind = Node::kNegate;
      node->a = Factor();
      node->dim = node->a->dim;
      node->bare = node->a->bare;
      return node;
    }
    if (Peek().kind == Token::kLeft) {
      Take();
      auto inner = Expression();
      Expect(Token::kRight, "')'");
      return inner;
    }
    if (Peek().kind == Token::kNumber) {
      const std::string text = Take().text;
      std::string why;
      auto q = ParseQuantity(text, &why);
      if (!q) throw CompileError("'" + text + "': " + (why.empty() ? "not a number" : why));
      node->kind = Node::kLiteral;
      node->value = q->value;
      node->dim = q->dim;
      node->bare = q->dim == Dimension{} && text.find_first_not_of("0123456789._eE+-") == std::string::npos;
      return node;
    }
    if (Peek().kind == Token::kName) {
      const std::string name = Take().text;
      if (name == "within" || name == "of" || name == "between" || name == "and") {
        throw CompileError("'" + name + "' cannot stand here");
      }
      const std::string column = columns_.Resolve(name);
      if (column.empty()) {
        throw CompileError("'" + name + "' is not a report column" +
                           DidYouMean(name, columns_.Candidates()));
      }
      node->kind = Node::kColumn;
      node->column = column;
      node->info = columns_.Info(name);
      if (node->info.type != ColumnType::kNumber) {
        throw CompileError("'" + name + "' holds text, not a number");
      }
      node->dim = node->info.dim;
      return node;
    }
    throw CompileError("expected a number or a report column" + Found());
  }

  static std::unique_ptr<Node> Combine(Node::Kind kind, std::unique_ptr<Node> a,
                                       std::unique_ptr<Node> b) {
    auto node = std::make_unique<Node>();
    node->kind = kind;
    if (kind == Node::kAdd || kind == Node::kSubtract) {
      if (!(a->dim == b->dim)) {
        throw CompileError("cannot " + std::string(kind == Node::kAdd ? "add " : "subtract ") +
                           DescribeDimension(b->dim) + (kind == Node::kAdd ? " to " : " from ") +
                           DescribeDimension(a->dim) + " (give the number a unit?)");
      }
      node->dim = a->dim;
    } else if (kind == Node::kMultiply) {
      node->dim = {a->dim.time + b->dim.time, a->dim.bytes + b->dim.bytes};
    } else {
      node->dim = {a->dim.time - b->dim.time, a->dim.bytes - b->dim.bytes};
    }
    node->a = std::move(a);
    node->b = std::move(b);
    return node;
  }

  std::vector<Token> tokens_;
  size_t pos_ = 0;
  const Columns& columns_;
};

// nullopt when a column it refers to has no value; `missing` names it.
std::optional<double> Evaluate(const Node& n, const Row& row, std::string* missing) {
  switch (n.kind) {
    case Node::kLiteral: return n.value;
    case Node::kColumn: {
      auto v = NumericValue(row, n.column, n.info);
      if (!v && missing->empty()) *missing = n.column;
      return v;
    }
    case Node::kNegate: {
      auto v = Evaluate(*n.a, row, missing);
      if (!v) return std::nullopt;
      return -*v;
    }
    default: break;
  }
  auto a = Evaluate(*n.a, row, missing);
  auto b = Evaluate(*n.b, row, missing);
  if (!a || !b) return std::nullopt;
  switch (n.kind) {
    case Node::kAdd: return *a + *b;
    case Node::kSubtract: return *a - *b;
    case Node::kMultiply: return *a * *b;
    default: return *a / *b;
  }
}

bool RefersToColumns(const Node& n) {
  if (n.kind == Node::kColumn) return true;
  return (n.a && RefersToColumns(*n.a)) || (n.b && RefersToColumns(*n.b));
}

// ---- conditions -----------------------------------------------------------

struct Condition {
  std::string column;  // the report column
  ColumnInfo info;
  enum Kind { kCompare, kWithin, kBetween, kText } kind = kCompare;
  std::string op;      // kCompare, kText: < <= > >= == !=
  double percent = 0;  // kWithin
  std::unique_ptr<Node> rhs, rhs2;
  std::string text;    // kText: the value compared with
  std::string rhs_text, rhs2_text;  // as written, for the report
};

// A bare number compared with a column takes the column's unit when the
// column's name states it; 0 is 0 in any unit.
void Conform(Node& rhs, const ColumnInfo& lhs, const std::string& column_name) {
  if (rhs.dim == lhs.dim) return;
  if (rhs.bare && rhs.kind == Node::kLiteral && (lhs.unit_in_name || rhs.value == 0)) {
    rhs.value *= lhs.scale;
    rhs.dim = lhs.dim;
    return;
  }
  if (rhs.bare && rhs.kind == Node::kLiteral) {
    throw CompileError(column_name + " is " + DescribeDimension(lhs.dim) +
                       ": give the number a unit (e.g. 250ms)");
  }
  throw CompileError("compares " + column_name + ", " + DescribeDimension(lhs.dim) + ", with " +
                     DescribeDimension(rhs.dim));
}

std::string Trim(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.erase(0, 1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  return s;
}

// The source text of the tokens [from, to) (for quoting a sub-expression).
std::string Join(const std::vector<Token>& tokens, size_t from, size_t to) {
  std::string out;
  for (size_t i = from; i < to && tokens[i].kind != Token::kEnd; ++i) {
    const bool glue = out.empty() || out.back() == '(' || tokens[i].kind == Token::kRight ||
                      tokens[i].kind == Token::kPercent;
    if (!glue) out += ' ';
    out += tokens[i].text;
  }
  return out;
}

Condition Compile(const ExpectationSpec& spec, const Columns& columns, bool* bad_column) {
  Condition c;
  c.column = columns.Resolve(spec.column);
  if (c.column.empty()) {
    *bad_column = true;
    throw CompileError("not a report column" + DidYouMean(spec.column, columns.Candidates()) +
                       "; see results/README.md for the columns");
  }
  c.info = columns.Info(spec.column);
  const std::string condition = Trim(spec.condition);

  if (c.info.type != ColumnType::kNumber) {
    c.kind = Condition::kText;
    c.op = "==";
    std::string rest = condition;
    if (rest.rfind("==", 0) == 0 || rest.rfind("!=", 0) == 0) {
      c.op = rest.substr(0, 2);
      rest = rest.substr(2);
    } else if (rest.rfind('=', 0) == 0) {
      rest = rest.substr(1);
    } else if (!rest.empty() && (rest[0] == '<' || rest[0] == '>')) {
      throw CompileError(spec.column + " holds text: compare it with == or != only");
    }
    rest = Trim(rest);
    if (rest.size() >= 2 && (rest.front() == '"' || rest.front() == '\'') && rest.back() == rest.front()) {
      rest = rest.substr(1, rest.size() - 2);
    }
    if (c.info.type == ColumnType::kBool && rest != "true" && rest != "false") {
      throw CompileError(spec.column + " is true or false, not '" + rest + "'");
    }
    c.text = rest;
    return c;
  }

  if (condition.empty()) throw CompileError("empty condition");
  std::vector<Token> tokens = Lex(condition);
  Parser parser(tokens, columns);
  size_t start = 0;
  if (tokens[0].kind == Token::kName && tokens[0].text == "within") {
    c.kind = Condition::kWithin;
    parser.Take();
    if (parser.Peek().kind != Token::kNumber) throw CompileError("expected 'within P% of ...'");
    std::string pct = parser.Take().text;
    auto q = ParseQuantity(pct);
    if (!q || !(q->dim == Dimension{})) throw CompileError("'" + pct + "' is not a percentage");
    c.percent = q->value;
    parser.Expect(Token::kPercent, "'%' after the percentage");
    if (!parser.AtName("of")) throw CompileError("expected 'of' after 'within " + pct + "%'");
    parser.Take();
    start = 4;
    c.rhs = parser.Expression();
  } else if (tokens[0].kind == Token::kName && tokens[0].text == "between") {
    c.kind = Condition::kBetween;
    parser.Take();
    c.rhs = parser.Expression();
    size_t and_at = 0;
    while (tokens[and_at].kind != Token::kEnd && !(tokens[and_at].kind == Token::kName && tokens[and_at].text == "and")) ++and_at;
    if (!parser.AtName("and")) throw CompileError("expected 'between LOW and HIGH'");
    parser.Take();
    c.rhs2 = parser.Expression();
    c.rhs_text = Join(tokens, 1, and_at);
    c.rhs2_text = Join(tokens, and_at + 1, tokens.size());
  } else {
    c.kind = Condition::kCompare;
    c.op = "==";
    if (tokens[0].kind == Token::kOp) {
      c.op = parser.Take().text;
      start = 1;
    }
    c.rhs = parser.Expression();
  }
  if (parser.Peek().kind != Token::kEnd) {
    throw CompileError("unexpected '" + parser.Peek().text + "' after the condition");
  }
  if (c.kind != Condition::kBetween) c.rhs_text = Join(tokens, start, tokens.size());
  Conform(*c.rhs, c.info, spec.column);
  if (c.rhs2) Conform(*c.rhs2, c.info, spec.column);
  return c;
}

Condition CompileOrThrow(const ExpectationSpec& spec, const Columns& columns) {
  bool bad_column = false;
  try {
    return Compile(spec, columns, &bad_column);
  } catch (const CompileError& e) {
    if (bad_column) throw ScenarioError(spec.column_where, spec.key, e.what());
    throw ScenarioError(spec.where, spec.key,
                        "'" + spec.condition + "': " + e.what() +
                            " (conditions: '< 250ms', '>= 0.99 * offered_rate', 'within 10% of "
                            "X', 'between X and Y')");
  }
}

// Text values match as written, or as numbers ("0" and "0.0"), or as
// quantities ("1000ms" and "1s").
bool SameValue(const std::string& a, const std::string& b) {
  if (a == b) return true;
  auto qa = ParseQuantity(a);
  auto qb = ParseQuantity(b);
  return qa && qb && qa->dim == qb->dim && qa->value == qb->value;
}

bool Applies(const ExpectationSpec& spec, const std::vector<Parameter>& parameters) {
  for (const auto& w : spec.when) {
    bool matched = false;
    for (const auto& p : parameters) {
      if (p.key == w.key && SameValue(p.value, w.value)) matched = true;
    }
    if (!matched) return false;
  }
  return true;
}

bool Holds(const std::string& op, double v, double x) {
  if (op == "<") return v < x;
  if (op == "<=") return v <= x;
  if (op == ">") return v > x;
  if (op == ">=") return v >= x;
  if (op == "!=") return v != x;
  return v == x;
}

}  // namespace

std::string ResolveColumn(const std::string& name, const std::vector<std::string>& swept_keys) {
  return Columns(swept_keys, {}).Resolve(name);
}

void ValidateExpectations(const ScenarioPlan& plan) {
  // expect_when: each key must be swept and each value one of its values.
  for (const auto& spec : plan.base.expectations) {
    for (const auto& w : spec.when) {
      bool swept = false;
      for (const auto& k : plan.swept_keys) swept = swept || k == w.key;
      if (!swept) {
        std::string keys;
        for (const auto& k : plan.swept_keys) keys += (keys.empty() ? "" : ", ") + k;
        throw ScenarioError(w.where, spec.key.substr(0, spec.key.find(".expect.")) + ".when." + w.key,
                            "not a swept key" + DidYouMean(w.key, plan.swept_keys) +
                                (keys.empty() ? "; this scenario has no sweep"
                                              : "; swept keys: " + keys));
      }
      bool matches = false;
      std::string values;
      for (const auto& cell : plan.cells) {
        for (const auto& p : cell.parameters) {
          if (p.key != w.key) continue;
          matches = matches || SameValue(p.value, w.value);
          if (values.find("'" + p.value + "'") == std::string::npos) {
            values += (values.empty() ? "'" : ", '") + p.value + "'";
          }
        }
      }
      if (!matches) {
        throw ScenarioError(w.where, spec.key.substr(0, spec.key.find(".expect.")) + ".when." + w.key,
                            "'" + w.value + "' matches no cell; the sweep's values are " + values);
      }
    }
  }
  for (const auto& cell : plan.cells) {
    const Columns columns(plan.swept_keys, cell.parameters);
    for (const auto& spec : cell.expectations) CompileOrThrow(spec, columns);
  }
}

std::vector<ExpectationOutcome> CheckExpectations(const CellResult& result,
                                                  const std::vector<std::string>& swept_keys) {
  std::vector<ExpectationOutcome> out;
  const Columns columns(swept_keys, result.scenario.parameters);
  const Row row(result, swept_keys);
  for (const auto& spec : result.scenario.expectations) {
    if (!Applies(spec, result.scenario.parameters)) continue;
    ExpectationOutcome o;
    o.column = spec.column;
    o.condition = spec.condition;
    o.where = spec.where.ToString();
    Condition c;
    try {
      c = CompileOrThrow(spec, columns);
    } catch (const ScenarioError& e) {
      // Validated at load time; kept so a bug here fails the expectation
      // rather than the run.
      o.expected = spec.condition;
      o.measured = std::string("cannot evaluate: ") + e.what();
      out.push_back(o);
      continue;
    }
    if (c.kind == Condition::kText) {
      const std::string& value = row.Text(c.column);
      o.expected = c.op + " " + (c.text.empty() ? "\"\"" : c.text);
      o.measured = value.empty() ? "\"\"" : value;
      o.passed = (value == c.text) == (c.op == "==");
      out.push_back(o);
      continue;
    }
    std::string missing;
    auto v = NumericValue(row, c.column, c.info);
    auto x = Evaluate(*c.rhs, row, &missing);
    std::optional<double> y;
    if (c.rhs2) y = Evaluate(*c.rhs2, row, &missing);
    const Dimension dim = c.info.dim;
    auto show = [&](const std::optional<double>& q, const Node& n, const std::string& text) {
      std::string s = q ? FormatQuantity(*q, dim) : "no value";
      if (RefersToColumns(n)) s += " (" + text + ")";
      return s;
    };
    switch (c.kind) {
      case Condition::kWithin:
        o.expected = "within " + FormatQuantity(c.percent, {}) + "% of " + show(x, *c.rhs, c.rhs_text);
        if (x) {
          const double tol = std::fabs(*x) * c.percent / 100;
          o.expected += ", i.e. " + FormatQuantity(*x - tol, dim) + " to " + FormatQuantity(*x + tol, dim);
        }
        break;
      case Condition::kBetween:
        o.expected = "between " + show(x, *c.rhs, c.rhs_text) + " and " + show(y, *c.rhs2, c.rhs2_text);
        break;
      default:
        o.expected = c.op + " " + show(x, *c.rhs, c.rhs_text);
    }
    if (!v) {
      o.measured = "no value";
      out.push_back(o);
      continue;
    }
    o.measured = FormatQuantity(*v, dim);
    if (!x || (c.rhs2 && !y)) {
      o.measured += " (" + missing + " has no value)";
      out.push_back(o);
      continue;
    }
    switch (c.kind) {
      case Condition::kWithin: o.passed = std::fabs(*v - *x) <= std::fabs(*x) * c.percent / 100; break;
      case Condition::kBetween: o.passed = *v >= *x && *v <= *y; break;
      default: o.passed = Holds(c.op, *v, *x);
    }
    out.push_back(o);
  }
  return out;
}

ScenarioPlan LoadValidatedPlan(const std::string& path, const std::vector<std::string>& overrides) {
  ScenarioPlan plan = LoadPlan(path, overrides);
  ValidateExpectations(plan);
  return plan;
}

}  // namespace sluice
