// smtp_reply: reply formatting and the sanitizer for quoted client text (see smtp_reply.hpp).
#include "smtp/proto/smtp_reply.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "smtp/proto/smtp_utf8.hpp"

namespace estafeta::smtp {

std::string Reply::format() const {
  std::string out;
  std::size_t n = lines.empty() ? 1 : lines.size();
  for (std::size_t i = 0; i < n; ++i) {
    std::string_view text = lines.empty() ? std::string_view() : std::string_view(lines[i]);
    char sep = i + 1 < n ? '-' : ' ';
    out += fmt::format("{:03d}{}", code, sep);
    if (!enhanced.empty()) {
      out += enhanced;
      if (!text.empty()) out += ' ';
    }
    out += sanitize_text(text, 1000);
    out += "\r\n";
  }
  return out;
}

std::string format_reply(int code, std::string_view enhanced, std::string_view text) {
  Reply r{code, std::string(enhanced), {std::string(text)}};
  return r.format();
}

std::string format_reply(const PeerError& error) {
  return format_reply(error.code, error.enhanced, error.text);
}

std::string sanitize_text(std::string_view text, std::size_t max) {
  std::string out;
  out.reserve(std::min(text.size(), max) + 3);
  std::size_t i = 0;
  while (i < text.size()) {
    auto c = static_cast<unsigned char>(text[i]);
    std::size_t len = 1;
    bool ok = false;
    if (c >= 0x20 && c < 0x7f) {
      ok = true;
    } else if (c >= 0x80) {
      len = utf8_sequence_length(text.substr(i));
      ok = len > 0;
      if (!ok) len = 1;
    }
    if (out.size() + (ok ? len : 1) > max) {
      out += "...";
      return out;
    }
    if (ok)
      out.append(text.substr(i, len));
    else
      out += '?';
    i += len;
  }
  return out;
}

}  // namespace estafeta::smtp
