// smtp_data_reader: one pass over DATA / BDAT content (see the header): runs of ordinary
// octets are copied in bulk, line ends, NUL and line-leading dots are handled one by one.
// The scanner is a four-variable state machine (line length, pending CR, dot-only line,
// completion), so any split of the input yields the same message and the same verdict.
#include "smtp/proto/smtp_data_reader.hpp"

#include <fmt/format.h>

namespace estafeta::smtp {

void DataReader::reset(Mode mode) {
  mode_ = mode;
  message_.clear();
  message_.shrink_to_fit();
  size_ = 0;
  line_len_ = 0;
  cr_ = false;
  dot_line_ = false;
  complete_ = false;
  after_lf_ = false;
  too_big_ = bare_newline_ = nul_ = long_line_ = false;
  in_header_ = true;
  header_line_len_ = 0;
  header_line_start_.clear();
  received_ = 0;
}

// Counts "Received" WSP* ":" at the start of header lines; a line start longer than the
// name plus a little white space cannot be one.
void DataReader::scan_header(std::string_view run) {
  constexpr std::size_t kKeep = 16;
  for (char c : run) {
    if (!in_header_) return;
    if (c == '\n') {
      std::string_view start = header_line_start_;
      if (!start.empty() && start.back() == '\r') start.remove_suffix(1);
      if (header_line_len_ == 0 || (header_line_len_ == 1 && start.empty())) {
        in_header_ = false;  // the empty line: end of the header section
        return;
      }
      constexpr std::string_view kName = "received";
      if (start.size() > kName.size() && start.substr(0, kName.size()) == kName) {
        std::size_t k = kName.size();
        while (k < start.size() && (start[k] == ' ' || start[k] == '\t')) ++k;
        if (k < start.size() && start[k] == ':') ++received_;
      }
      header_line_len_ = 0;
      header_line_start_.clear();
      continue;
    }
    ++header_line_len_;
    if (header_line_start_.size() < kKeep)
      header_line_start_ += (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
  }
}

// Past max_message_size the content is no longer kept, only counted (drained, RFC 1870 §6.3).
void DataReader::emit(char c) {
  emit_run(std::string_view(&c, 1));
}

void DataReader::emit_run(std::string_view run) {
  size_ += run.size();
  if (in_header_) scan_header(run);
  if (too_big_) return;
  if (bare_newline_ || nul_ || long_line_) {  // refused anyway: stop keeping it
    if (!message_.empty()) {
      message_.clear();
      message_.shrink_to_fit();
    }
    return;
  }
  if (size_ > limits_.max_message_size) {
    too_big_ = true;
    message_.clear();
    message_.shrink_to_fit();
    return;
  }
  message_.append(run);
}

std::size_t DataReader::feed(std::string_view bytes) {
  const bool dot = mode_ == Mode::dot_stuffed;
  auto ordinary = [](char ch) { return ch != '\r' && ch != '\n' && ch != '\0'; };
  std::size_t i = 0;
  while (i < bytes.size()) {
    if (complete_) return i;
    char c = bytes[i];
    // Fast path: a run of octets that are neither line ends, NUL, nor a line-leading dot.
    if (!cr_ && ordinary(c) && !(dot && line_len_ == 0 && c == '.')) {
      std::size_t j = i + 1;
      while (j < bytes.size() && ordinary(bytes[j])) ++j;
      line_len_ += j - i;
      if (line_len_ > limits_.max_line_length) long_line_ = true;
      dot_line_ = false;
      emit_run(bytes.substr(i, j - i));
      i = j;
      continue;
    }
    ++i;
    if (cr_) {
      cr_ = false;
      if (c == '\n') {
        if (++line_len_ > limits_.max_line_length) long_line_ = true;
        if (dot && dot_line_ && !after_lf_) {  // CRLF "." CRLF: end of data (§4.1.1.4)
          complete_ = true;
          return i;
        }
        if (dot_line_) emit('.');  // a lone "." after a normalized LF is text, not the end
        emit_run("\r\n");
        line_len_ = 0;
        dot_line_ = false;
        after_lf_ = false;
        continue;
      }
      // A CR not followed by LF (RFC 5321 §2.3.8).
      bare_newline_ = true;
      dot_line_ = false;
      emit('\r');
    }
    if (++line_len_ > limits_.max_line_length) long_line_ = true;
    if (c == '\r') {
      cr_ = true;
      continue;
    }
    if (c == '\n') {  // bare LF: never a line end, never part of an end marker
      if (limits_.bare_lf == Limits::BareLf::normalize) {
        --line_len_;
        line_feed(dot);
        continue;
      }
      bare_newline_ = true;
      dot_line_ = false;
      emit(c);
      continue;
    }
    if (dot && line_len_ == 1 && c == '.') {  // RFC 5321 §4.5.2: drop the first dot
      dot_line_ = true;
      continue;
    }
    if (c == '\0') nul_ = true;
    dot_line_ = false;
    emit(c);
  }
  return bytes.size();
}

void DataReader::finish() {
  if (cr_) {
    cr_ = false;
    bare_newline_ = true;
    emit('\r');
  }
  complete_ = true;
}

std::optional<PeerError> DataReader::error() const {
  if (too_big_)
    return PeerError{
        552, "5.3.4",
        fmt::format("Message size exceeds fixed limit of {} octets", limits_.max_message_size)};
  if (bare_newline_)
    return PeerError{550, "5.6.2", "Bare CR or LF in message text; lines must end with CRLF"};
  if (nul_) return PeerError{554, "5.6.0", "NUL octet in message text"};
  if (long_line_)
    return PeerError{
        500, "5.5.2",
        fmt::format("Line too long in message text (limit {} octets)", limits_.max_line_length)};
  if (complete_ && received_ > limits_.max_received_headers)
    return PeerError{554, "5.4.6",
                     fmt::format("Too many Received header fields (more than {}): mail loop",
                                 limits_.max_received_headers)};
  return std::nullopt;
}

// normalize: a lone LF ends the line as CRLF would, but the next line can never end DATA.
void DataReader::line_feed(bool dot) {
  if (dot && dot_line_) emit('.');
  emit_run("\r\n");
  line_len_ = 0;
  dot_line_ = false;
  after_lf_ = true;
}

std::string DataReader::take_chunk() {
  std::string out = std::move(message_);
  message_.clear();
  return out;
}

std::size_t count_received_fields(std::string_view message, std::size_t stop_after) {
  std::size_t count = 0;
  std::size_t pos = 0;
  while (pos < message.size() && count <= stop_after) {
    std::size_t eol = message.find('\n', pos);
    std::string_view line =
        message.substr(pos, eol == std::string_view::npos ? std::string_view::npos : eol - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) break;  // end of the header section
    // field-name, optional WSP (RFC 5322 §4.5.3 obsolete syntax), ':'
    constexpr std::string_view kName = "received";
    if (line.size() > kName.size()) {
      bool match = true;
      for (std::size_t k = 0; k < kName.size() && match; ++k) match = (line[k] | 0x20) == kName[k];
      if (match) {
        std::size_t k = kName.size();
        while (k < line.size() && (line[k] == ' ' || line[k] == '\t')) ++k;
        if (k < line.size() && line[k] == ':') ++count;
      }
    }
    if (eol == std::string_view::npos) break;
    pos = eol + 1;
  }
  return count;
}

}  // namespace estafeta::smtp
