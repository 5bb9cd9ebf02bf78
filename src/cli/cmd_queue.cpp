// cmd_queue: `estafeta queue list [--json]`: what is in the spool (<data_dir>/spool), one
// block per message: id, age, size, sender, and each recipient with its state (pending,
// delivered, deferred or failed, with the reason and attempts). In normal operation the
// spool is empty: local delivery takes a message out within milliseconds of its 250.
// Reads the spool files only (no running server needed, nothing is changed); files being
// written at that moment are not shown.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "cli/commands.hpp"
#include "queue/queue_spool.hpp"

namespace estafeta::cli {
namespace {

std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      out += fmt::format("\\u{:04x}", c);
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

std::string shown(std::string_view s) {
  std::string out;
  for (unsigned char c : s) out += (c < 0x20 || c == 0x7f) ? '?' : static_cast<char>(c);
  return out;
}

}  // namespace

int run_queue_list(const config::Config& config, bool json) {
  queue::Spool spool(queue::SpoolOptions{config.data_dir / "spool", false, 0});
  std::vector<std::string> errors;
  if (auto ec = spool.read_key())
    return fail(
        fmt::format("cannot read the spool key in {}: {}", spool.dir().string(), ec.message()));
  std::vector<queue::SpoolEntry> entries = spool.list(errors);
  std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) {
    return a.envelope.received_at < b.envelope.received_at;
  });
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  if (json) {
    std::string out = "[";
    for (std::size_t i = 0; i < entries.size(); ++i) {
      const auto& e = entries[i].envelope;
      out += i ? ",\n " : "";
      out += fmt::format(
          "{{\"id\":{},\"file\":{},\"received_at\":{},\"size\":{},\"from\":{},\"recipients\":[",
          json_string(e.id), json_string(entries[i].name), e.received_at, e.data_length,
          json_string(e.mail_from));
      for (std::size_t k = 0; k < e.recipients.size(); ++k) {
        const auto& r = e.recipients[k];
        out += fmt::format(
            "{}{{\"address\":{},\"state\":\"{}\",\"attempts\":{},"
            "\"next_attempt\":{},\"reason\":{}}}",
            k ? "," : "", json_string(r.address), queue::state_name(r.state), r.attempts,
            r.next_attempt, json_string(r.reason));
      }
      out += "]}";
    }
    out += "]\n";
    std::fputs(out.c_str(), stdout);
  } else if (entries.empty()) {
    std::printf("the spool is empty\n");
  } else {
    for (const auto& entry : entries) {
      const auto& e = entry.envelope;
      std::printf("%s  %llds ago  %llu octets  from <%s>\n", shown(e.id).c_str(),
                  static_cast<long long>(now - e.received_at),
                  static_cast<unsigned long long>(e.data_length), shown(e.mail_from).c_str());
      for (const auto& r : e.recipients) {
        std::string line = fmt::format("    <{}> {}", shown(r.address), queue::state_name(r.state));
        if (r.attempts) line += fmt::format(" after {} attempt(s)", r.attempts);
        if (r.next_attempt > now) line += fmt::format(", next in {} s", r.next_attempt - now);
        if (!r.reason.empty()) line += ": " + shown(r.reason);
        std::printf("%s\n", line.c_str());
      }
    }
  }
  for (const auto& err : errors) std::fprintf(stderr, "estafeta: spool: %s\n", err.c_str());
  return 0;
}

}  // namespace estafeta::cli
