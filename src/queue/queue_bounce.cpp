// queue_bounce: see the header.
#include "queue/queue_bounce.hpp"

#include <chrono>

namespace estafeta::queue {
namespace {

bool iequal_prefix(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    char a = s[i], b = prefix[i];
    if (a >= 'A' && a <= 'Z') a = static_cast<char>(a - 'A' + 'a');
    if (a != b) return false;
  }
  return true;
}

}  // namespace

bool wants_full_return(const SpoolEnvelope& envelope) {
  return envelope.ret.size() == 4 && iequal_prefix(envelope.ret, "full");
}

std::string original_message_id(std::string_view message) {
  std::string_view header = mime::message_header_block(message);
  std::size_t pos = 0;
  while (pos < header.size()) {
    std::size_t end = header.find('\n', pos);
    if (end == std::string_view::npos) end = header.size();
    std::string_view line = header.substr(pos, end - pos);
    if (iequal_prefix(line, "message-id:")) {
      std::string_view v = line.substr(11);
      // A folded value continues on lines that begin with white space.
      std::string out(v);
      std::size_t next = end + 1;
      while (next < header.size() && (header[next] == ' ' || header[next] == '\t')) {
        std::size_t e = header.find('\n', next);
        if (e == std::string_view::npos) e = header.size();
        out.append(header.substr(next, e - next));
        next = e + 1;
      }
      std::string id;
      for (char c : out)
        if (c != ' ' && c != '\t' && c != '\r') id += c;
      return id.size() <= 998 ? id : std::string();
    }
    pos = end + 1;
  }
  return {};
}

std::string build_notice(const SpoolEnvelope& envelope, std::vector<mime::DsnRecipient> recipients,
                         std::string original, const std::string& hostname, std::int64_t now) {
  using std::chrono::seconds;
  using std::chrono::system_clock;
  mime::DsnReport r;
  r.reporting_mta = hostname;
  r.postmaster = "MAILER-DAEMON@" + hostname;
  r.recipient = envelope.mail_from;
  r.original_envelope_id = envelope.envid;
  if (envelope.received_at > 0)
    r.arrival_date = system_clock::time_point(seconds(envelope.received_at));
  r.recipients = std::move(recipients);
  r.original_message_id = original_message_id(original);
  r.original_message = std::move(original);
  r.return_full = wants_full_return(envelope);
  r.max_returned_size = kMaxReturned;
  r.date = system_clock::time_point(seconds(now));
  return mime::build_dsn(r);
}

}  // namespace estafeta::queue
