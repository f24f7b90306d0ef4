#include "sluice/report/expression.h"

#include <cctype>
#include <cmath>

#include "sluice/scenario/scenario.h"  // DidYouMean
#include "sluice/core/text.h"

namespace sluice {

struct ExpressionNode {
  enum Kind { kLiteral, kColumn, kNegate, kAdd, kSubtract, kMultiply, kDivide };
  Kind kind = kLiteral;
  double value = 0;    // literal, canonical
  bool bare = false;   // a literal written without a unit
  std::string column;  // kColumn: the column
  ColumnInfo info;     // kColumn
  Dimension dim;
  int depth = 1;       // levels of the tree below and including this node
  std::unique_ptr<ExpressionNode> a, b;
};

Condition::Condition() = default;
Condition::~Condition() = default;
Condition::Condition(Condition&&) noexcept = default;
Condition& Condition::operator=(Condition&&) noexcept = default;

namespace {

using Node = ExpressionNode;

struct Token {
  enum Kind { kNumber, kName, kOp, kPlus, kMinus, kStar, kSlash, kLeft, kRight, kPercent, kEnd };
  Kind kind = kEnd;
  std::string text;
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
      if (op == "!") throw ExpressionError("'!' must be followed by '=': write !=");
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
      default: throw ExpressionError(std::string("unexpected character '") + c + "'");
    }
    out.push_back({kind, std::string(1, c)});
    ++i;
  }
  out.push_back({Token::kEnd, ""});
  return out;
}

class Parser {
 public:
  Parser(const std::vector<Token>& tokens, const ExpressionScope& scope) : tokens_(tokens), scope_(scope) {}

  const Token& Peek() const { return tokens_[pos_]; }
  Token Take() { return tokens_[pos_++]; }
  bool AtName(const char* word) const { return Peek().kind == Token::kName && Peek().text == word; }
  void Expect(Token::Kind kind, const char* what) {
    if (Peek().kind != kind) throw ExpressionError(std::string("expected ") + what + Found());
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
  // Counts the nesting of Factor(): parentheses and signs recurse through it.
  class Nesting {
   public:
    explicit Nesting(int* depth) : depth_(depth) {
      if (++*depth_ > kMaxExpressionDepth) {
        --*depth_;
        throw ExpressionError("nested more than " + std::to_string(kMaxExpressionDepth) +
                              " levels deep (parentheses or signs)");
      }
    }
    ~Nesting() { --*depth_; }
    Nesting(const Nesting&) = delete;
    Nesting& operator=(const Nesting&) = delete;

   private:
    int* depth_;
  };

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
      Nesting nesting(&depth_);
      Take();
      node->kind = Node::kNegate;
      node->a = Factor();
      node->dim = node->a->dim;
      node->bare = node->a->bare;
      node->depth = node->a->depth + 1;
      CheckTree(*node);
      return node;
    }
    if (Peek().kind == Token::kLeft) {
      Nesting nesting(&depth_);
      Take();
      auto inner = Expression();
      Expect(Token::kRight, "')'");
      return inner;
    }
    if (Peek().kind == Token::kNumber) {
      const std::string text = Take().text;
      std::string why;
      auto q = ParseQuantity(text, &why);
      if (!q) throw ExpressionError("'" + text + "': " + (why.empty() ? "not a number" : why));
      node->kind = Node::kLiteral;
      node->value = q->value;
      node->dim = q->dim;
      node->bare = q->dim == Dimension{} && text.find_first_not_of("0123456789._eE+-") == std::string::npos;
      return node;
    }
    if (Peek().kind == Token::kName) {
      const std::string name = Take().text;
      if (name == "within" || name == "of" || name == "between" || name == "and") {
        throw ExpressionError("'" + name + "' cannot stand here");
      }
      const std::string column = scope_.Resolve(name);
      if (column.empty()) {
        throw ExpressionError("'" + name + "' is not a report column" + DidYouMean(name, scope_.Candidates()));
      }
      node->kind = Node::kColumn;
      node->column = column;
      node->info = scope_.Info(name);
      if (node->info.type != ColumnType::kNumber) {
        throw ExpressionError("'" + name + "' holds text, not a number");
      }
      node->dim = node->info.dim;
      return node;
    }
    throw ExpressionError("expected a number or a report column" + Found());
  }

  static void CheckTree(const Node& n) {
    if (n.depth > kMaxExpressionTree) {
      throw ExpressionError("more than " + std::to_string(kMaxExpressionTree) +
                            " operators deep: write a shorter expression");
    }
  }

  static std::unique_ptr<Node> Combine(Node::Kind kind, std::unique_ptr<Node> a, std::unique_ptr<Node> b) {
    auto node = std::make_unique<Node>();
    node->kind = kind;
    if (kind == Node::kAdd || kind == Node::kSubtract) {
      if (!(a->dim == b->dim)) {
        throw ExpressionError("cannot " + std::string(kind == Node::kAdd ? "add " : "subtract ") +
                              DescribeDimension(b->dim) + (kind == Node::kAdd ? " to " : " from ") +
                              DescribeDimension(a->dim) + " (give the number a unit?)");
      }
      node->dim = a->dim;
    } else if (kind == Node::kMultiply) {
      node->dim = {a->dim.time + b->dim.time, a->dim.bytes + b->dim.bytes};
    } else {
      node->dim = {a->dim.time - b->dim.time, a->dim.bytes - b->dim.bytes};
    }
    node->depth = std::max(a->depth, b->depth) + 1;
    node->a = std::move(a);
    node->b = std::move(b);
    CheckTree(*node);
    return node;
  }

  const std::vector<Token>& tokens_;
  size_t pos_ = 0;
  int depth_ = 0;
  const ExpressionScope& scope_;
};

// nullopt when a column it refers to has no value; `missing` names it.
// Recursion is bounded by kMaxExpressionTree.
std::optional<double> Evaluate(const Node& n, const ExpressionValues& values, std::string* missing) {
  switch (n.kind) {
    case Node::kLiteral: return n.value;
    case Node::kColumn: {
      auto v = values.number(n.column);
      if (!v && missing->empty()) *missing = n.column;
      return v;
    }
    case Node::kNegate: {
      auto v = Evaluate(*n.a, values, missing);
      if (!v) return std::nullopt;
      return -*v;
    }
    default: break;
  }
  auto a = Evaluate(*n.a, values, missing);
  auto b = Evaluate(*n.b, values, missing);
  if (!a || !b) return std::nullopt;
  switch (n.kind) {
    case Node::kAdd: return *a + *b;
    case Node::kSubtract: return *a - *b;
    case Node::kMultiply: return *a * *b;
    default: return *a / *b;
  }
}

bool NodeRefersToColumns(const Node& n) {
  if (n.kind == Node::kColumn) return true;
  return (n.a && NodeRefersToColumns(*n.a)) || (n.b && NodeRefersToColumns(*n.b));
}

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
    throw ExpressionError(column_name + " is " + DescribeDimension(lhs.dim) +
                          ": give the number a unit (e.g. 250ms)");
  }
  throw ExpressionError("compares " + column_name + ", " + DescribeDimension(lhs.dim) + ", with " +
                        DescribeDimension(rhs.dim));
}

// The source text of the tokens [from, to) (for quoting a sub-expression).
std::string SourceText(const std::vector<Token>& tokens, size_t from, size_t to) {
  std::string out;
  for (size_t i = from; i < to && tokens[i].kind != Token::kEnd; ++i) {
    const bool glue = out.empty() || out.back() == '(' || tokens[i].kind == Token::kRight ||
                      tokens[i].kind == Token::kPercent;
    if (!glue) out += ' ';
    out += tokens[i].text;
  }
  return out;
}

}  // namespace

bool Condition::RefersToColumns() const {
  return (rhs && NodeRefersToColumns(*rhs)) || (rhs2 && NodeRefersToColumns(*rhs2));
}

bool HoldsComparison(const std::string& op, double v, double x) {
  if (op == "<") return v < x;
  if (op == "<=") return v <= x;
  if (op == ">") return v > x;
  if (op == ">=") return v >= x;
  if (op == "!=") return v != x;
  return v == x;
}

Condition CompileCondition(const std::string& name, const std::string& condition_text,
                           const ExpressionScope& scope, bool* bad_column) {
  Condition c;
  c.column = scope.Resolve(name);
  if (c.column.empty()) {
    if (bad_column != nullptr) *bad_column = true;
    throw ExpressionError("not a report column" + DidYouMean(name, scope.Candidates()) +
                          "; see results/README.md for the columns");
  }
  c.info = scope.Info(name);
  const std::string condition(Trim(condition_text));

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
      throw ExpressionError(name + " holds text: compare it with == or != only");
    }
    rest = std::string(Trim(rest));
    if (rest.size() >= 2 && (rest.front() == '"' || rest.front() == '\'') && rest.back() == rest.front()) {
      rest = rest.substr(1, rest.size() - 2);
    }
    if (c.info.type == ColumnType::kBool && rest != "true" && rest != "false") {
      throw ExpressionError(name + " is true or false, not '" + rest + "'");
    }
    c.text = rest;
    return c;
  }

  if (condition.empty()) throw ExpressionError("empty condition");
  const std::vector<Token> tokens = Lex(condition);
  Parser parser(tokens, scope);
  size_t start = 0;
  if (tokens[0].kind == Token::kName && tokens[0].text == "within") {
    c.kind = Condition::kWithin;
    parser.Take();
    if (parser.Peek().kind != Token::kNumber) throw ExpressionError("expected 'within P% of ...'");
    std::string pct = parser.Take().text;
    auto q = ParseQuantity(pct);
    if (!q || !(q->dim == Dimension{})) throw ExpressionError("'" + pct + "' is not a percentage");
    c.percent = q->value;
    parser.Expect(Token::kPercent, "'%' after the percentage");
    if (!parser.AtName("of")) throw ExpressionError("expected 'of' after 'within " + pct + "%'");
    parser.Take();
    start = 4;
    c.rhs = parser.Expression();
  } else if (tokens[0].kind == Token::kName && tokens[0].text == "between") {
    c.kind = Condition::kBetween;
    parser.Take();
    c.rhs = parser.Expression();
    size_t and_at = 0;
    while (tokens[and_at].kind != Token::kEnd &&
           !(tokens[and_at].kind == Token::kName && tokens[and_at].text == "and")) {
      ++and_at;
    }
    if (!parser.AtName("and")) throw ExpressionError("expected 'between LOW and HIGH'");
    parser.Take();
    c.rhs2 = parser.Expression();
    c.rhs_text = SourceText(tokens, 1, and_at);
    c.rhs2_text = SourceText(tokens, and_at + 1, tokens.size());
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
    throw ExpressionError("unexpected '" + parser.Peek().text + "' after the condition");
  }
  if (c.kind != Condition::kBetween) c.rhs_text = SourceText(tokens, start, tokens.size());
  Conform(*c.rhs, c.info, name);
  if (c.rhs2) Conform(*c.rhs2, c.info, name);
  return c;
}

ConditionOutcome EvaluateCondition(const Condition& c, const ExpressionValues& values) {
  ConditionOutcome o;
  if (c.kind == Condition::kText) {
    const std::string value = values.text(c.column);
    o.expected = c.op + " " + (c.text.empty() ? "\"\"" : c.text);
    o.measured = value.empty() ? "\"\"" : value;
    o.passed = (value == c.text) == (c.op == "==");
    return o;
  }
  std::string missing;
  const std::optional<double> v = values.number(c.column);
  const std::optional<double> x = Evaluate(*c.rhs, values, &missing);
  std::optional<double> y;
  if (c.rhs2) y = Evaluate(*c.rhs2, values, &missing);
  const Dimension dim = c.info.dim;
  auto show = [&](const std::optional<double>& q, const Node& n, const std::string& text) {
    std::string s = q ? FormatQuantity(*q, dim) : "no value";
    if (NodeRefersToColumns(n)) s += " (" + text + ")";
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
    return o;
  }
  o.measured = FormatQuantity(*v, dim);
  if (!x || (c.rhs2 && !y)) {
    o.measured += " (" + missing + " has no value)";
    return o;
  }
  switch (c.kind) {
    case Condition::kWithin: o.passed = std::fabs(*v - *x) <= std::fabs(*x) * c.percent / 100; break;
    case Condition::kBetween: o.passed = *v >= *x && *v <= *y; break;
    default: o.passed = HoldsComparison(c.op, *v, *x);
  }
  return o;
}

}  // namespace sluice
