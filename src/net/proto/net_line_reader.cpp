// net_line_reader: the bounded, CRLF-strict line reader shared by the protocol cores (see the
// header for what is reported and the memory bound). Trust: unauthenticated input.
#include "net/proto/net_line_reader.hpp"

#include <algorithm>
#include <cassert>
#include <utility>

namespace estafeta::net {

std::size_t LineReader::feed(std::string_view bytes) {
  if (ready_) return 0;
  if (octets_left_ > 0) {
    std::size_t take = static_cast<std::size_t>(
        std::min<std::uint64_t>(octets_left_, static_cast<std::uint64_t>(bytes.size())));
    octets_left_ -= take;
    return take;
  }
  std::size_t lf = bytes.find('\n');
  std::string_view part = bytes.substr(0, lf);  // this chunk's octets of the line, before LF
  if (!part.empty()) {
    if (text_.size() < max_line_) text_.append(part.substr(0, max_line_ - text_.size()));
    if (!nul_ && part.find('\0') != std::string_view::npos) nul_ = true;
    // RFC 5321 §2.3.8: a CR is only allowed as the first half of CRLF. A CR that ended the
    // previous chunk is followed by this chunk's first octet, which is not an LF.
    if (cr_pending_) bare_cr_ = true;
    // Within `part` (which holds no LF) only a CR in the last position may still be paired.
    if (!bare_cr_) {
      std::size_t cr = part.find('\r');
      if (cr != std::string_view::npos && cr + 1 < part.size()) bare_cr_ = true;
    }
    seen_ += part.size();
    cr_pending_ = part.back() == '\r';
  }
  if (lf == std::string_view::npos) return bytes.size();
  // The LF ends the line (RFC 5321 §2.3.8: CRLF is the only line end; a lone LF is reported).
  bare_lf_ = !cr_pending_;
  // The CR of the CRLF is not part of the text, unless the line was cut before it.
  if (!bare_lf_ && text_.size() == seen_) text_.pop_back();
  ++seen_;
  cr_pending_ = false;
  ready_ = true;
  return lf + 1;
}

LineReader::Line LineReader::take_line() {
  assert(ready_);
  Line l;
  l.text = std::move(text_);
  l.length = seen_;
  l.overlong = seen_ > max_line_;
  l.bare_lf = bare_lf_;
  l.bare_cr = bare_cr_;
  l.nul = nul_;
  text_.clear();
  seen_ = 0;
  cr_pending_ = bare_cr_ = bare_lf_ = nul_ = false;
  ready_ = false;
  return l;
}

void LineReader::read_octets(std::uint64_t n) {
  assert(!ready_ && seen_ == 0 && octets_left_ == 0);
  octets_left_ = n;
}

void LineReader::reset() {
  text_.clear();
  text_.shrink_to_fit();
  seen_ = 0;
  octets_left_ = 0;
  cr_pending_ = bare_cr_ = bare_lf_ = nul_ = false;
  ready_ = false;
}

}  // namespace estafeta::net
