// pop3_message_streamer: see pop3_message_streamer.hpp.
#include "pop3/proto/pop3_message_streamer.hpp"

#include <algorithm>
#include <cstring>

namespace estafeta::pop3 {

DotStuffer::DotStuffer(std::optional<std::uint64_t> top_lines) : top_lines_(top_lines) {}

bool DotStuffer::satisfied() const {
  return done_;
}

void DotStuffer::feed(std::string_view in, std::string& out) {
  std::size_t i = 0;
  const std::size_t n = in.size();
  while (i < n && !done_) {
    if (at_line_start_) {
      at_line_start_ = false;
      if (in[i] == '.') out += '.';  // RFC 1939 §3: byte-stuff a line starting with "."
    }
    const char* p = in.data() + i;
    const char* lf = static_cast<const char*>(std::memchr(p, '\n', n - i));
    std::size_t len = lf ? static_cast<std::size_t>(lf - p) : n - i;
    if (len > 0) {
      std::size_t start = out.size();
      out.append(p, len);
      // NUL is sent as 0x80 (pop3_session.hpp, Notes).
      char* q = out.data() + start;
      char* end = out.data() + out.size();
      while ((q = static_cast<char*>(std::memchr(q, '\0', static_cast<std::size_t>(end - q)))))
        *q++ = '\x80';
      content_ += len;
      line_octets_ += len;
      pending_cr_ = p[len - 1] == '\r';
      i += len;
    }
    if (!lf) break;
    // The line end: CRLF, also for a bare LF.
    if (!pending_cr_) {
      out += '\r';
      ++content_;
    }
    out += '\n';
    ++content_;
    ++i;
    end_line(out);
  }
}

// Bookkeeping at the end of a line: where the header ends and how many body lines TOP sent.
void DotStuffer::end_line(std::string&) {
  bool blank = line_octets_ == 0 || (line_octets_ == 1 && pending_cr_);
  at_line_start_ = true;
  line_octets_ = 0;
  pending_cr_ = false;
  if (!top_lines_) return;
  if (!in_body_) {
    if (blank) {
      in_body_ = true;
      if (*top_lines_ == 0) done_ = true;
    }
    return;
  }
  if (++body_lines_ >= *top_lines_) done_ = true;
}

void DotStuffer::finish(std::string& out) {
  if (!done_ && line_octets_ > 0) {
    // A last line without its line end: end it, so that "." starts a line (RFC 1939 §3).
    out += "\r\n";
    content_ += 2;
    end_line(out);
  }
  // TOP promises the blank line after the header (RFC 1939 §7) even when the message has
  // none: then it was all header.
  if (top_lines_ && !in_body_) out += "\r\n";
  out += ".\r\n";
}

MessageStreamer::MessageStreamer(std::shared_ptr<store::Blob> blob,
                                 std::optional<std::uint64_t> top_lines)
    : blob_(std::move(blob)), stuffer_(top_lines), size_(blob_ ? blob_->size() : 0) {}

std::error_code MessageStreamer::next(std::string& out) {
  out.clear();
  if (done_) return {};
  bool end = offset_ >= size_ || stuffer_.satisfied();
  if (!end) {
    std::size_t n =
        static_cast<std::size_t>(std::min<std::uint64_t>(kStreamChunk, size_ - offset_));
    if (std::error_code ec = blob_->read(offset_, n, buf_)) return ec;
    offset_ += buf_.size();
    stuffer_.feed(buf_, out);
    // A file that became shorter than it was: what was read is the message.
    end = buf_.empty() || offset_ >= size_ || stuffer_.satisfied();
  }
  if (end) {
    stuffer_.finish(out);
    done_ = true;
  }
  return {};
}

}  // namespace estafeta::pop3
