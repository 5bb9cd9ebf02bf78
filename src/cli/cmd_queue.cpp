// cmd_queue: `estafeta queue list [--json]`, `queue show ID [--json]`, `queue retry [ID]`,
// `queue hold ID`, `queue release ID`, `queue delete ID`: what is in the spool
// (<data_dir>/spool) and the operator's actions on it. list shows one block per message (id,
// age, size, sender, held, each recipient with its state: pending, delivered, deferred or
// failed, attempts, next attempt, the last reply and the host that gave it); show the same for
// one message with its envelope. Local delivery takes a message out within milliseconds of its
// 250, so what stays is mail for other domains waiting for a retry. Reading works without a
// running server; the actions leave requests a running server reads within seconds (or the
// next one at its start), see queue/queue_control.hpp. Delete sends no bounce. ID is the queue
// id (as in Received and the logs) or the spool file name.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>

#include "cli/commands.hpp"
#include "mime/mime_json.hpp"
#include "queue/queue_control.hpp"
#include "queue/queue_spool.hpp"
#include "smtp/smtp_tls_rpt_sender.hpp"

namespace estafeta::cli {
namespace {

std::string json_string(std::string_view s) {
  std::string out;  // valid JSON whatever the bytes (not UTF-8: one \u00XX per byte)
  mime::append_json_string(out, s, false);
  return out;
}

std::string shown(std::string_view s) {
  std::string out;
  for (unsigned char c : s) out += (c < 0x20 || c == 0x7f) ? '?' : static_cast<char>(c);
  return out;
}

}  // namespace

namespace {

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string entry_json(const std::filesystem::path& spool_dir, const queue::SpoolEntry& entry,
                       bool full) {
  const auto& e = entry.envelope;
  std::string out =
      fmt::format("{{\"id\":{},\"file\":{},\"received_at\":{},\"size\":{},\"from\":{},\"held\":{},",
                  json_string(e.id), json_string(entry.name), e.received_at, e.data_length,
                  json_string(e.mail_from), queue::is_held(spool_dir, entry) ? "true" : "false");
  if (full)
    out += fmt::format("\"helo\":{},\"peer_ip\":{},\"auth_user\":{},\"ret\":{},\"envid\":{},",
                       json_string(e.helo), json_string(e.peer_ip), json_string(e.auth_user),
                       json_string(e.ret), json_string(e.envid));
  out += "\"recipients\":[";
  for (std::size_t k = 0; k < e.recipients.size(); ++k) {
    const auto& r = e.recipients[k];
    out += fmt::format(
        "{}{{\"address\":{},\"local\":{},\"state\":\"{}\",\"attempts\":{},"
        "\"next_attempt\":{},\"reason\":{},\"remote_host\":{},\"notify\":{},\"orcpt\":{},"
        "\"sender\":{}}}",
        k ? "," : "", json_string(r.address), r.local.empty() ? "false" : "true",
        queue::state_name(r.state), r.attempts, r.next_attempt, json_string(r.reason),
        json_string(r.remote_host), json_string(r.notify), json_string(r.orcpt),
        json_string(r.sender.empty() ? e.mail_from : r.sender));
  }
  return out + "]}";
}

void print_entry(const std::filesystem::path& spool_dir, const queue::SpoolEntry& entry,
                 std::int64_t now, bool full) {
  const auto& e = entry.envelope;
  std::printf("%s  %llds ago  %llu octets  from <%s>%s\n", shown(e.id).c_str(),
              static_cast<long long>(now - e.received_at),
              static_cast<unsigned long long>(e.data_length), shown(e.mail_from).c_str(),
              queue::is_held(spool_dir, entry) ? "  (held)" : "");
  if (full) {
    std::printf("    file %s, received from %s [%s]%s%s\n", shown(entry.name).c_str(),
                shown(e.helo).c_str(), shown(e.peer_ip).c_str(),
                e.auth_user.empty() ? "" : ", authenticated as ", shown(e.auth_user).c_str());
  }
  for (const auto& r : e.recipients) {
    std::string line = fmt::format("    <{}> {}{}", shown(r.address),
                                   r.local.empty() ? "remote " : "", queue::state_name(r.state));
    // A forwarded copy leaves with its own (SRS) envelope sender.
    if (!r.sender.empty()) line += " from <" + shown(r.sender) + ">";
    if (r.attempts) line += fmt::format(" after {} attempt(s)", r.attempts);
    if (r.next_attempt > now) line += fmt::format(", next in {} s", r.next_attempt - now);
    if (!r.reason.empty()) line += ": " + shown(r.reason);
    if (!r.remote_host.empty()) line += " (" + shown(r.remote_host) + ")";
    std::printf("%s\n", line.c_str());
  }
}

// The spool as the CLI reads it; nullptr after printing the error.
std::unique_ptr<queue::Spool> open_spool(const config::Config& config) {
  auto spool =
      std::make_unique<queue::Spool>(queue::SpoolOptions{config.data_dir / "spool", false, 0});
  if (auto ec = spool->read_key()) {
    fail(fmt::format("cannot read the spool key in {}: {}", spool->dir().string(), ec.message()));
    return nullptr;
  }
  return spool;
}

}  // namespace

int run_queue_list(const config::Config& config, bool json) {
  auto spool = open_spool(config);
  if (!spool) return 1;
  std::vector<std::string> errors;
  std::vector<queue::SpoolEntry> entries = spool->list(errors);
  std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) {
    return a.envelope.received_at < b.envelope.received_at;
  });
  const auto now = unix_now();
  if (json) {
    std::string out = "[";
    for (std::size_t i = 0; i < entries.size(); ++i)
      out += (i ? ",\n " : "") + entry_json(spool->dir(), entries[i], false);
    out += "]\n";
    std::fputs(out.c_str(), stdout);
  } else if (entries.empty()) {
    std::printf("the spool is empty\n");
  } else {
    for (const auto& entry : entries) print_entry(spool->dir(), entry, now, false);
  }
  for (const auto& err : errors) std::fprintf(stderr, "estafeta: spool: %s\n", err.c_str());
  return 0;
}

int run_queue_show(const config::Config& config, const std::string& which, bool json) {
  auto spool = open_spool(config);
  if (!spool) return 1;
  std::vector<std::string> errors;
  for (const auto& entry : spool->list(errors)) {
    if (entry.envelope.id != which && entry.name != which) continue;
    if (json)
      std::printf("%s\n", entry_json(spool->dir(), entry, true).c_str());
    else
      print_entry(spool->dir(), entry, unix_now(), true);
    return 0;
  }
  return fail("no message " + which + " in the queue (estafeta queue list shows them)");
}

int run_queue_action(const config::Config& config, const std::string& action,
                     const std::string& which) {
  auto spool = open_spool(config);
  if (!spool) return 1;
  std::string error = action == "hold"      ? queue::hold_message(*spool, which)
                      : action == "release" ? queue::release_message(*spool, which)
                      : action == "retry"   ? queue::retry_messages(*spool, which)
                                            : queue::delete_message(*spool, which);
  if (!error.empty()) return fail(error);
  const std::string what = which.empty() ? std::string("every message") : which;
  std::printf("%s: %s\n",
              action == "delete"    ? "deleted"
              : action == "hold"    ? "held"
              : action == "release" ? "released"
                                    : "retry requested for",
              what.c_str());
  return 0;
}

int run_queue_tls_report(const config::Config& config) {
  const std::string error = smtp::request_tls_reports(config.data_dir / "tls-rpt");
  if (!error.empty()) return fail(error);
  std::printf("TLS reports requested: a running server sends them within 5 seconds\n");
  return 0;
}

}  // namespace estafeta::cli
