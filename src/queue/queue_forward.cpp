// queue_forward: see the header.
#include "queue/queue_forward.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace estafeta::queue {

std::string xtext_encode(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (c < 33 || c > 126 || c == '+' || c == '=')
      out += fmt::format("+{:02X}", c);
    else
      out += static_cast<char>(c);
  }
  return out;
}

void add_forwards(auth::Directory& directory, const auth::Resolution& resolution,
                  std::string_view mail_from, std::string_view rcpt, std::string_view notify,
                  std::string_view orcpt, std::vector<SpoolRecipient>& out) {
  for (const auth::ForwardTarget& f : resolution.forwards) {
    const bool present = std::any_of(out.begin(), out.end(), [&](const SpoolRecipient& r) {
      return r.local.empty() && r.address == f.address;
    });
    if (present) continue;
    SpoolRecipient sr;
    sr.address = f.address;
    sr.via = rcpt;
    sr.notify = notify;
    sr.orcpt = orcpt.empty() ? "rfc822;" + xtext_encode(rcpt) : std::string(orcpt);
    if (!f.via_domain.empty()) {
      std::string sender = directory.forward_sender(mail_from, f.via_domain);
      if (sender != mail_from) sr.sender = std::move(sender);
    }
    out.push_back(std::move(sr));
  }
}

}  // namespace estafeta::queue
