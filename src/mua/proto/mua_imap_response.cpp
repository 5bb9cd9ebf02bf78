// mua_imap_response: framing and parsing of IMAP server responses (see the header).
#include "mua/proto/mua_imap_response.hpp"

#include <cctype>

namespace estafeta::mua {
namespace {

char upper(char c) {
  return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
}

std::string to_upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = upper(c);
  return out;
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// A literal marker "{123}" or "{123+}" (optionally preceded by '~') at the end of `line`:
// its size, or nullopt.
std::optional<std::uint64_t> literal_suffix(std::string_view line) {
  if (line.empty() || line.back() != '}') return std::nullopt;
  std::size_t end = line.size() - 1;
  if (end > 0 && line[end - 1] == '+') --end;
  std::size_t begin = end;
  while (begin > 0 && is_digit(line[begin - 1])) --begin;
  if (begin == end || begin == 0 || line[begin - 1] != '{') return std::nullopt;
  if (end - begin > 18) return std::uint64_t{1} << 62;  // absurd: the caller's limit refuses it
  std::uint64_t n = 0;
  for (std::size_t i = begin; i < end; ++i) n = n * 10 + static_cast<std::uint64_t>(line[i] - '0');
  return n;
}

// The value tokenizer: a cursor over a complete response.
class ValueParser {
 public:
  ValueParser(std::string_view s, const ImapLimits& limits) : s_(s), limits_(limits) {}

  bool parse_sequence(std::vector<ImapValue>& out) {
    skip_spaces();
    while (pos_ < s_.size()) {
      ImapValue v;
      if (!parse_value(v, 0)) return false;
      out.push_back(std::move(v));
      if (pos_ < s_.size() && s_[pos_] != ' ') return false;
      skip_spaces();
    }
    return true;
  }

 private:
  void skip_spaces() {
    while (pos_ < s_.size() && s_[pos_] == ' ') ++pos_;
  }

  bool count() { return ++values_ <= limits_.max_values; }

  bool parse_value(ImapValue& v, std::size_t depth) {
    if (!count() || pos_ >= s_.size()) return false;
    const char c = s_[pos_];
    if (c == '(') {
      if (depth >= limits_.max_depth) return false;
      ++pos_;
      v.kind = ImapValue::Kind::list;
      skip_spaces();
      while (pos_ < s_.size() && s_[pos_] != ')') {
        ImapValue item;
        if (!parse_value(item, depth + 1)) return false;
        const bool was_list = item.is_list();
        v.items.push_back(std::move(item));
        // RFC 9051 §9: addresses (env-from) and the bodies of a multipart BODYSTRUCTURE
        // follow each other without a space.
        if (pos_ < s_.size() && s_[pos_] != ' ' && s_[pos_] != ')' &&
            !(s_[pos_] == '(' && was_list))
          return false;
        skip_spaces();
      }
      if (pos_ >= s_.size()) return false;
      ++pos_;  // ')'
      return true;
    }
    if (c == '"') return parse_quoted(v);
    if (c == '{' || (c == '~' && pos_ + 1 < s_.size() && s_[pos_ + 1] == '{'))
      return parse_literal(v);
    if (c == ')') return false;
    return parse_atom(v);
  }

  bool parse_quoted(ImapValue& v) {
    v.kind = ImapValue::Kind::string;
    ++pos_;
    while (pos_ < s_.size()) {
      const char c = s_[pos_++];
      if (c == '"') return true;
      if (c == '\r' || c == '\n') return false;
      if (c == '\\') {
        if (pos_ >= s_.size()) return false;
        v.text.push_back(s_[pos_++]);  // RFC 9051 §4.3: only \\ and \" are defined
        continue;
      }
      v.text.push_back(c);
    }
    return false;
  }

  bool parse_literal(ImapValue& v) {
    v.kind = ImapValue::Kind::string;
    if (s_[pos_] == '~') ++pos_;
    ++pos_;  // '{'
    std::uint64_t n = 0;
    std::size_t digits = 0;
    while (pos_ < s_.size() && is_digit(s_[pos_]) && digits < 19) {
      n = n * 10 + static_cast<std::uint64_t>(s_[pos_++] - '0');
      ++digits;
    }
    if (digits == 0 || n > limits_.max_literal) return false;
    if (pos_ < s_.size() && s_[pos_] == '+') ++pos_;
    if (pos_ >= s_.size() || s_[pos_] != '}') return false;
    ++pos_;
    if (pos_ < s_.size() && s_[pos_] == '\r') ++pos_;
    if (pos_ >= s_.size() || s_[pos_] != '\n') return false;
    ++pos_;
    if (s_.size() - pos_ < n) return false;
    v.text.assign(s_.substr(pos_, static_cast<std::size_t>(n)));
    pos_ += static_cast<std::size_t>(n);
    return true;
  }

  // An atom, also flags ("\Seen"), and fetch item names with a section and a partial
  // ("BODY[HEADER.FIELDS (FROM TO)]<0>"): brackets are kept whole, spaces included.
  bool parse_atom(ImapValue& v) {
    const std::size_t begin = pos_;
    int brackets = 0;
    while (pos_ < s_.size()) {
      const char c = s_[pos_];
      if (c == '\r' || c == '\n') return false;
      if (c == '[') ++brackets;
      if (c == ']' && brackets > 0) --brackets;
      if (brackets == 0 && (c == ' ' || c == '(' || c == ')' || c == '"')) break;
      ++pos_;
    }
    if (brackets != 0 || pos_ == begin) return false;
    v.text.assign(s_.substr(begin, pos_ - begin));
    if (v.text.size() == 3 && upper(v.text[0]) == 'N' && upper(v.text[1]) == 'I' &&
        upper(v.text[2]) == 'L') {
      v.kind = ImapValue::Kind::nil;
      v.text.clear();
      return true;
    }
    bool digits = true;
    for (char c : v.text) digits = digits && is_digit(c);
    v.kind = digits ? ImapValue::Kind::number : ImapValue::Kind::atom;
    return true;
  }

  std::string_view s_;
  const ImapLimits& limits_;
  std::size_t pos_ = 0;
  std::size_t values_ = 0;
};

// "[CODE args] text" or "text" after a status word (RFC 9051 §7.1 resp-text).
void parse_resp_text(std::string_view rest, const ImapLimits& limits, ImapResponse& r) {
  if (!rest.empty() && rest.front() == '[') {
    // The code ends at the first ']' outside a list or quoted string.
    std::size_t i = 1;
    int depth = 0;
    bool quoted = false;
    for (; i < rest.size(); ++i) {
      const char c = rest[i];
      if (quoted) {
        if (c == '\\')
          ++i;
        else if (c == '"')
          quoted = false;
        continue;
      }
      if (c == '"')
        quoted = true;
      else if (c == '(')
        ++depth;
      else if (c == ')' && depth > 0)
        --depth;
      else if (c == ']' && depth == 0)
        break;
    }
    if (i < rest.size()) {
      std::string_view inner = rest.substr(1, i - 1);
      const std::size_t sp = inner.find(' ');
      r.code = to_upper(inner.substr(0, sp));
      if (sp != std::string_view::npos) {
        r.code_args.assign(inner.substr(sp + 1));
        std::vector<ImapValue> values;
        if (ValueParser(r.code_args, limits).parse_sequence(values))
          r.code_values = std::move(values);
      }
      rest.remove_prefix(i + 1);
      if (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
    }
  }
  r.text.assign(rest);
}

bool is_status_word(std::string_view upper_word) {
  return upper_word == "OK" || upper_word == "NO" || upper_word == "BAD" || upper_word == "BYE" ||
         upper_word == "PREAUTH";
}

}  // namespace

std::optional<std::uint64_t> ImapValue::number() const {
  if (kind != Kind::number || text.empty() || text.size() > 18) return std::nullopt;
  std::uint64_t n = 0;
  for (char c : text) n = n * 10 + static_cast<std::uint64_t>(c - '0');
  return n;
}

bool ImapValue::atom_is(std::string_view name) const {
  if (kind != Kind::atom || text.size() != name.size()) return false;
  for (std::size_t i = 0; i < name.size(); ++i)
    if (upper(text[i]) != upper(name[i])) return false;
  return true;
}

bool parse_imap_values(std::string_view text, const ImapLimits& limits,
                       std::vector<ImapValue>& out) {
  return ValueParser(text, limits).parse_sequence(out);
}

std::optional<ImapResponse> parse_imap_response(std::string_view raw, const ImapLimits& limits,
                                                std::string& error) {
  ImapResponse r;
  if (raw.empty()) {
    error = "empty response line";
    return std::nullopt;
  }
  // Continuation request (RFC 9051 §7.5): "+ text" or a bare "+".
  if (raw.front() == '+') {
    r.type = ImapResponse::Type::continuation;
    raw.remove_prefix(1);
    if (!raw.empty() && raw.front() == ' ') raw.remove_prefix(1);
    r.text.assign(raw);
    return r;
  }
  const std::size_t sp = raw.find(' ');
  if (sp == std::string_view::npos || sp == 0) {
    error = "response without a tag: " + std::string(raw.substr(0, 60));
    return std::nullopt;
  }
  std::string_view first = raw.substr(0, sp);
  std::string_view rest = raw.substr(sp + 1);
  if (first == "*") {
    r.type = ImapResponse::Type::untagged;
    std::size_t word_end = rest.find(' ');
    std::string_view word = rest.substr(0, word_end);
    if (!word.empty() && word.size() <= 18 &&
        word.find_first_not_of("0123456789") == std::string_view::npos) {
      std::uint64_t n = 0;
      for (char c : word) n = n * 10 + static_cast<std::uint64_t>(c - '0');
      r.number = n;
      rest = word_end == std::string_view::npos ? std::string_view() : rest.substr(word_end + 1);
      word_end = rest.find(' ');
      word = rest.substr(0, word_end);
    }
    r.name = to_upper(word);
    if (r.name.empty()) {
      error = "untagged response without a name";
      return std::nullopt;
    }
    rest = word_end == std::string_view::npos ? std::string_view() : rest.substr(word_end + 1);
    if (!r.number && is_status_word(r.name)) {
      r.status = r.name;
      parse_resp_text(rest, limits, r);
      return r;
    }
    if (!parse_imap_values(rest, limits, r.values)) {
      r.values.clear();
      r.malformed = true;
      r.text.assign(rest.substr(0, 200));
    }
    return r;
  }
  // Tagged: "tag SP (OK / NO / BAD) SP resp-text".
  r.type = ImapResponse::Type::tagged;
  r.tag.assign(first);
  const std::size_t word_end = rest.find(' ');
  r.status = to_upper(rest.substr(0, word_end));
  if (r.status != "OK" && r.status != "NO" && r.status != "BAD") {
    error = "tagged response without OK, NO or BAD: " + std::string(raw.substr(0, 60));
    return std::nullopt;
  }
  rest = word_end == std::string_view::npos ? std::string_view() : rest.substr(word_end + 1);
  parse_resp_text(rest, limits, r);
  return r;
}

void ImapResponseReader::receive(std::string_view bytes) {
  if (failed()) return;
  buffer_.append(bytes);
}

std::optional<ImapResponse> ImapResponseReader::next() {
  while (!failed()) {
    if (literal_left_ > 0) {
      const std::size_t have = buffer_.size() - scan_;
      if (have < literal_left_) return std::nullopt;
      scan_ += static_cast<std::size_t>(literal_left_);
      literal_left_ = 0;
      line_start_ = scan_;
    }
    const std::size_t nl = buffer_.find('\n', scan_);
    if (nl == std::string::npos) {
      scan_ = buffer_.size();
      if (buffer_.size() - line_start_ > limits_.max_line)
        error_ = "response line longer than " + std::to_string(limits_.max_line) + " octets";
      return std::nullopt;
    }
    if (nl + 1 - line_start_ > limits_.max_line) {
      error_ = "response line longer than " + std::to_string(limits_.max_line) + " octets";
      return std::nullopt;
    }
    std::string_view line(buffer_.data() + line_start_, nl - line_start_);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    scan_ = nl + 1;
    if (auto n = literal_suffix(line)) {
      if (*n > limits_.max_literal) {
        error_ = "literal of " + std::to_string(*n) + " octets is larger than the limit of " +
                 std::to_string(limits_.max_literal);
        return std::nullopt;
      }
      if (++literals_ > limits_.max_literals) {
        error_ = "too many literals in one response";
        return std::nullopt;
      }
      if (scan_ + *n > limits_.max_response) {
        error_ = "response larger than " + std::to_string(limits_.max_response) + " octets";
        return std::nullopt;
      }
      literal_left_ = *n;
      line_start_ = scan_;
      continue;
    }
    // The response is complete: [0, nl) minus the final CR.
    std::size_t end = nl;
    if (end > 0 && buffer_[end - 1] == '\r') --end;
    auto parsed = parse_imap_response(std::string_view(buffer_.data(), end), limits_, error_);
    buffer_.erase(0, nl + 1);
    scan_ = 0;
    line_start_ = 0;
    literals_ = 0;
    if (!parsed) return std::nullopt;  // error_ is set
    return parsed;
  }
  return std::nullopt;
}

}  // namespace estafeta::mua
