// imap_command_reader: see imap_command_reader.hpp. Order of checks on each line: characters
// (NUL, bare CR), line length, the literal it announces (count, size against its limit), then
// the command size. A rejected non-synchronizing literal is drained, never stored.
#include "imap/proto/imap_command_reader.hpp"

#include <algorithm>

#include "imap/proto/imap_lexer.hpp"

namespace estafeta::imap {
namespace {

char upper(char c) {
  return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c;
}

std::string upper_copy(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = upper(c);
  return out;
}

// The literal a line announces at its end: "{N}", "{N+}", "~{N}", "~{N+}" (RFC 9051 §4.3,
// RFC 7888, RFC 3516). size = UINT64_MAX when the number does not fit.
struct Announce {
  bool present = false;
  bool sync = true;
  bool literal8 = false;
  std::uint64_t size = 0;
  std::size_t start = 0;  // offset of "{" (or "~") in the line
};

Announce announced(std::string_view line) {
  Announce a;
  if (line.empty() || line.back() != '}') return a;
  std::size_t open = line.rfind('{');
  if (open == std::string_view::npos) return a;
  std::string_view inner = line.substr(open + 1, line.size() - open - 2);
  bool plus = !inner.empty() && inner.back() == '+';
  if (plus) inner.remove_suffix(1);
  if (inner.empty()) return a;
  std::uint64_t n = 0;
  for (char c : inner) {
    if (c < '0' || c > '9') return a;
    if (n > (UINT64_MAX - 9) / 10) {
      n = UINT64_MAX;
      break;
    }
    n = n * 10 + static_cast<std::uint64_t>(c - '0');
  }
  a.present = true;
  a.sync = !plus;
  a.size = n;
  a.start = open;
  if (open > 0 && line[open - 1] == '~') {
    a.literal8 = true;
    a.start = open - 1;
  }
  return a;
}

}  // namespace

std::string CommandError::response() const {
  std::string out = tag;
  out += kind == Kind::bad ? " BAD " : " NO ";
  out += text;
  out += "\r\n";
  return out;
}

CommandReader::Step CommandReader::feed_line(const net::LineReader::Line& line) {
  return on_line(line.text, line.length, line.overlong, line.nul || line.bare_cr);
}

CommandReader::Step CommandReader::feed_line(std::string_view text) {
  bool bad = text.find('\0') != std::string_view::npos ||
             text.find('\r') != std::string_view::npos || text.find('\n') != std::string_view::npos;
  std::uint64_t length = text.size() + 2;
  bool overlong = length > limits_.max_line;
  if (overlong) text = text.substr(0, limits_.max_line);
  return on_line(text, length, overlong, bad);
}

CommandReader::Step CommandReader::fail(CommandError::Kind kind, std::string text) {
  Step s;
  s.kind = Step::Kind::error;
  s.error.tag = tag_.empty() ? "*" : tag_;
  s.error.kind = kind;
  s.error.text = std::move(text);
  s.error.name = name_;
  return s;
}

CommandReader::Step CommandReader::on_line(std::string_view text, std::uint64_t length,
                                           bool overlong, bool bad_chars) {
  if (state_ == State::literal && literal_left_ == 0) state_ = State::lines;  // "{0}"
  if (state_ == State::complete) reset();
  if (state_ == State::discard_lines) {
    // The rest of a rejected command: drop it, following further non-synchronizing literals.
    Announce a = overlong ? Announce{} : announced(text);
    if (a.present && !a.sync) {
      state_ = State::discard_literal;
      literal_left_ = a.size;
      Step s;
      s.kind = Step::Kind::need_literal;
      s.size = a.size;
      s.literal8 = a.literal8;
      s.discard = true;
      return s;
    }
    reset();
    return Step{};
  }
  if (state_ == State::literal || state_ == State::discard_literal) {
    // A line while literal octets are expected: the caller broke the protocol of this class.
    reset();
  }
  bool first = state_ == State::idle;
  if (first) {
    buffer_.clear();
    tag_.clear();
    name_.clear();
    append_ = false;
    command_octets_ = append_octets_ = 0;
    literals_ = 0;
    // The tag and the command name, for error responses and the APPEND literal limit.
    Lexer lx(text);
    if (auto t = lx.tag(); t && (lx.at_end() || lx.peek() == ' ')) {
      tag_ = std::string(*t);
      if (lx.sp()) {
        if (auto n = lx.atom()) {
          name_ = upper_copy(*n);
          if (name_ == "UID" && lx.sp()) {
            if (auto n2 = lx.atom()) name_ += " " + upper_copy(*n2);
          }
        }
      }
    }
    append_ = name_ == "APPEND";
    state_ = State::lines;
  }
  Announce a = overlong || bad_chars ? Announce{} : announced(text);
  // After an error: a non-synchronizing literal the client sends anyway must be drained.
  auto failed = [&](CommandError::Kind kind, std::string msg) {
    Step s = fail(kind, std::move(msg));
    if (a.present && !a.sync) {
      state_ = State::discard_literal;
      literal_left_ = a.size;
      buffer_.clear();
      buffer_.shrink_to_fit();
      s.size = a.size;
    } else {
      reset();
    }
    return s;
  };
  if (bad_chars) return failed(CommandError::Kind::bad, "Invalid characters in command");
  if (overlong) return failed(CommandError::Kind::bad, "Command line too long");
  command_octets_ += length;
  if (command_octets_ > limits_.max_command)
    return failed(CommandError::Kind::bad, "Command too long");
  buffer_.append(text);
  if (a.present && tag_.empty()) {
    // No command can follow: refuse now rather than ask the client for the literal.
    return failed(CommandError::Kind::bad, "Invalid tag");
  }
  if (!a.present) {
    state_ = State::complete;
    Step s;
    s.kind = Step::Kind::complete;
    return s;
  }
  if (++literals_ > limits_.max_literals)
    return failed(CommandError::Kind::bad, "Too many literals");
  // In APPEND every literal is a message except the mailbox name given as a literal
  // ("tag APPEND {N}" on the first line, RFC 9051 §6.3.12).
  bool message = append_;
  if (message && first && literals_ == 1) {
    Lexer lx(text);
    lx.tag();
    lx.sp();
    lx.atom();
    if (lx.sp() && lx.pos() == a.start) message = false;
  }
  if (message) {
    if (a.size > limits_.append_limit)
      return failed(CommandError::Kind::no, "[TOOBIG] Message too large");
    if (append_octets_ + a.size > limits_.max_append_total)
      return failed(CommandError::Kind::no, "[TOOBIG] Messages too large together");
    append_octets_ += a.size;
  } else {
    if (a.size > limits_.max_literal)
      return failed(CommandError::Kind::no, "[TOOBIG] Literal too large");
    if (command_octets_ + a.size > limits_.max_command)
      return failed(CommandError::Kind::bad, "Command too long");
    command_octets_ += a.size;
  }
  buffer_.append("\r\n");
  // Grow as octets arrive: an announced literal reserves no memory the client has not sent.
  buffer_.reserve(buffer_.size() +
                  static_cast<std::size_t>(std::min<std::uint64_t>(a.size, 65536)));
  state_ = State::literal;
  literal_left_ = a.size;
  Step s;
  s.kind = Step::Kind::need_literal;
  s.size = a.size;
  s.synchronizing = a.sync;
  s.literal8 = a.literal8;
  return s;
}

CommandReader::Step CommandReader::feed_literal(std::string_view octets) {
  if (state_ != State::literal && state_ != State::discard_literal) return Step{};
  std::size_t n =
      octets.size() < literal_left_ ? octets.size() : static_cast<std::size_t>(literal_left_);
  if (state_ == State::literal) buffer_.append(octets.substr(0, n));
  literal_left_ -= n;
  Step s;  // need_line: nothing to do but go on reading (octets first, if any remain)
  s.size = literal_left_;
  s.discard = state_ == State::discard_literal;
  if (literal_left_ == 0) state_ = state_ == State::literal ? State::lines : State::discard_lines;
  return s;
}

std::string CommandReader::take_command() {
  std::string out = std::move(buffer_);
  reset();
  return out;
}

void CommandReader::reset() {
  state_ = State::idle;
  buffer_.clear();
  literal_left_ = 0;
}

}  // namespace estafeta::imap
