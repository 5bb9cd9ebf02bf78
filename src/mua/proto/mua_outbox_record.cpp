// mua_outbox_record: see mua_outbox_record.hpp.
#include "mua/proto/mua_outbox_record.hpp"

#include <charconv>

namespace estafeta::mua {

namespace {

PeerError error(std::string text) {
  return PeerError{0, "", "outbox record: " + std::move(text)};
}

std::string flat(std::string_view v) {
  std::string out(v);
  for (char& c : out)
    if (c == '\r' || c == '\n' || c == '\0') c = ' ';
  return out;
}

}  // namespace

std::string serialize(const OutboxRecord& r) {
  std::string out = "estafeta-outbox 1\n";
  out += "sender " + flat(r.sender) + "\n";
  for (const auto& rcpt : r.recipients) out += "recipient " + flat(rcpt) + "\n";
  out += std::string("sent-copy ") + (r.sent_copy ? "yes" : "no") + "\n";
  if (!r.bcc.empty()) out += "bcc " + flat(r.bcc) + "\n";
  out += "attempts " + std::to_string(r.attempts) + "\n";
  if (!r.last_error.empty()) out += "last-error " + flat(r.last_error) + "\n";
  out += "\n";
  out += r.message;
  return out;
}

Result<OutboxRecord> parse_outbox_record(std::string_view data) {
  OutboxRecord r;
  std::size_t pos = 0;
  bool first = true, have_sender = false, ended = false;
  while (pos < data.size()) {
    if (pos > kMaxOutboxEnvelope) return error("envelope larger than 1 MiB");
    std::size_t end = data.find('\n', pos);
    if (end == std::string_view::npos) return error("envelope not terminated by an empty line");
    std::string_view line = data.substr(pos, end - pos);
    pos = end + 1;
    if (line.empty()) {
      ended = true;
      break;
    }
    if (line.find('\r') != std::string_view::npos || line.find('\0') != std::string_view::npos)
      return error("control character in the envelope");
    std::size_t sp = line.find(' ');
    std::string_view key = line.substr(0, sp);
    std::string_view value =
        sp == std::string_view::npos ? std::string_view() : line.substr(sp + 1);
    if (first) {
      if (line != "estafeta-outbox 1") return error("not an outbox file (bad first line)");
      first = false;
      continue;
    }
    if (key == "sender") {
      r.sender = std::string(value);
      have_sender = true;
    } else if (key == "recipient") {
      if (value.empty()) return error("empty recipient");
      if (r.recipients.size() >= kMaxOutboxRecipients) return error("more than 10000 recipients");
      r.recipients.emplace_back(value);
    } else if (key == "sent-copy") {
      if (value != "yes" && value != "no") return error("sent-copy is neither yes nor no");
      r.sent_copy = value == "yes";
    } else if (key == "bcc") {
      r.bcc = std::string(value);
    } else if (key == "attempts") {
      auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), r.attempts);
      if (ec != std::errc() || p != value.data() + value.size() || value.empty())
        return error("attempts is not a number");
    } else if (key == "last-error") {
      r.last_error = std::string(value);
    } else {
      return error("unknown line \"" + std::string(key.substr(0, 40)) + "\"");
    }
  }
  if (first) return error("empty file");
  if (!ended) return error("envelope not terminated by an empty line");
  if (!have_sender) return error("no sender line");
  if (r.recipients.empty()) return error("no recipient");
  r.message = std::string(data.substr(pos));
  if (r.message.empty()) return error("no message");
  return r;
}

}  // namespace estafeta::mua
