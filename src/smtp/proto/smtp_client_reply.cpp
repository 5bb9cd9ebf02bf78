// smtp_client_reply: the reply reader of the SMTP client (see smtp_client_reply.hpp).
#include "smtp/proto/smtp_client_reply.hpp"

#include <fmt/format.h>

#include "smtp/proto/smtp_reply.hpp"

namespace estafeta::smtp {

namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// 1-3 digits at `pos`; returns how many (0 when none or more than 3).
std::size_t digits(std::string_view s, std::size_t pos) {
  std::size_t n = 0;
  while (pos + n < s.size() && is_digit(s[pos + n])) ++n;
  return n <= 3 ? n : 0;
}

}  // namespace

std::string ServerReply::text() const {
  std::string out;
  for (const auto& l : lines) {
    if (l.empty()) continue;
    if (!out.empty()) out += ' ';
    out += l;
  }
  return out;
}

std::string ServerReply::summary() const {
  std::string out = fmt::format("{:03d}", code);
  if (!enhanced.empty()) out += ' ' + enhanced;
  std::string t = text();
  if (!t.empty()) out += ' ' + t;
  return out;
}

std::size_t enhanced_code_length(std::string_view text, int klass) {
  // RFC 3463 §2: status-code = class "." subject "." detail; class is 2, 4 or 5.
  if (text.size() < 5 || text[1] != '.') return 0;
  if (text[0] != '2' && text[0] != '4' && text[0] != '5') return 0;
  if (text[0] - '0' != klass) return 0;
  std::size_t subject = digits(text, 2);
  if (subject == 0 || 2 + subject >= text.size() || text[2 + subject] != '.') return 0;
  std::size_t detail = digits(text, 3 + subject);
  if (detail == 0) return 0;
  std::size_t len = 3 + subject + detail;
  if (len < text.size() && text[len] != ' ') return 0;
  return len;
}

void ReplyReader::receive(std::string_view bytes) {
  if (failed()) return;
  if (pos_ > 0 && pos_ == in_.size()) {
    in_.clear();
    pos_ = 0;
  }
  in_.append(bytes);
}

void ReplyReader::reset() {
  in_.clear();
  pos_ = 0;
  partial_ = ServerReply{};
  partial_size_ = 0;
  done_.reset();
}

void ReplyReader::fail(std::string why) {
  if (error_.empty()) error_ = std::move(why);
  in_.clear();
  pos_ = 0;
}

std::optional<ServerReply> ReplyReader::next() {
  while (!failed()) {
    std::size_t lf = in_.find('\n', pos_);
    if (lf == std::string::npos) {
      if (in_.size() - pos_ >= limits_.max_line)
        fail(fmt::format("reply line longer than {} octets", limits_.max_line));
      else if (pos_ > 4096) {  // keep the buffer from growing with what was consumed
        in_.erase(0, pos_);
        pos_ = 0;
      }
      return std::nullopt;
    }
    std::string_view text(in_.data() + pos_, lf - pos_);
    if (text.size() + 1 > limits_.max_line) {
      fail(fmt::format("reply line longer than {} octets", limits_.max_line));
      return std::nullopt;
    }
    std::size_t raw = lf + 1 - pos_;
    pos_ = lf + 1;
    if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
    line(text, raw);
    if (done_) {
      ServerReply r = std::move(*done_);
      done_.reset();
      return r;
    }
  }
  return std::nullopt;
}

void ReplyReader::line(std::string_view text, std::size_t raw) {
  // RFC 5321 §4.2: Reply-code = %x32-35 %x30-35 %x30-39, then "-" (more lines follow), or
  // SP and text, or nothing.
  if (text.size() < 3 || text[0] < '2' || text[0] > '5' || text[1] < '0' || text[1] > '5' ||
      !is_digit(text[2])) {
    fail(fmt::format("malformed reply line \"{}\"", sanitize_text(text, 60)));
    return;
  }
  char sep = text.size() > 3 ? text[3] : ' ';
  if (sep != ' ' && sep != '-') {
    fail(fmt::format("malformed reply line \"{}\"", sanitize_text(text, 60)));
    return;
  }
  int code = (text[0] - '0') * 100 + (text[1] - '0') * 10 + (text[2] - '0');
  if (!partial_.lines.empty() && code != partial_.code) {
    fail(fmt::format("multiline reply mixes codes {} and {}", partial_.code, code));
    return;
  }
  partial_size_ += raw;
  if (partial_.lines.size() + 1 > limits_.max_lines) {
    fail(fmt::format("reply of more than {} lines", limits_.max_lines));
    return;
  }
  if (partial_size_ > limits_.max_reply) {
    fail(fmt::format("reply longer than {} octets", limits_.max_reply));
    return;
  }
  partial_.code = code;
  std::string_view rest = text.size() > 4 ? text.substr(4) : std::string_view();
  // RFC 2034 §3: the enhanced code starts the text of every line.
  if (std::size_t n = enhanced_code_length(rest, code / 100); n > 0) {
    if (partial_.lines.empty()) partial_.enhanced = std::string(rest.substr(0, n));
    rest.remove_prefix(n < rest.size() ? n + 1 : n);
  }
  partial_.lines.push_back(sanitize_text(rest, limits_.max_line));
  if (sep == ' ') {
    done_ = std::move(partial_);
    partial_ = ServerReply{};
    partial_size_ = 0;
  }
}

}  // namespace estafeta::smtp
