// outbound_probe: a test driver for smtp::OutboundTransport, so that the integration tests
// (tests/integration/test_outbound_transport.py) can deliver through the real transport to a
// real `estafeta serve` or a scripted server without the queue. It builds OutboundOptions
// from its arguments, hands every message file (same envelope) to one deliver() call on an
// Asio loop, and prints one JSON object per recipient on stdout. Not installed; loopback only
// (the caller's routes). Bounded: gives up after --timeout seconds (default 60).
//
//   estafeta_outbound_probe --domain example.test --route "example.test = [127.0.0.1]:2525"
//     [--tls-required] [--ca FILE] [--smarthost HOST:PORT --user U --password-file F]
//     --from a@b --rcpt x@example.test [--rcpt ...] MESSAGE_FILE...
#include <asio/io_context.hpp>
#include <asio/thread_pool.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "mime/mime_downgrade.hpp"
#include "mime/mime_json.hpp"
#include "smtp/smtp_outbound_transport.hpp"

namespace {

using namespace estafeta;

std::string json_string(const std::string& s) {
  std::string out;  // valid JSON whatever the bytes (not UTF-8: one \u00XX per byte)
  mime::append_json_string(out, s, false);
  return out;
}

const char* kind_name(queue::RemoteReply::Kind k) {
  switch (k) {
    case queue::RemoteReply::Kind::delivered:
      return "delivered";
    case queue::RemoteReply::Kind::bounced:
      return "bounced";
    case queue::RemoteReply::Kind::deferred:
      break;
  }
  return "deferred";
}

int usage(const char* why) {
  std::fprintf(stderr, "outbound_probe: %s\n", why);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  smtp::OutboundOptions o;
  o.ehlo_name = "probe.localhost";
  o.resolver.dnssec = false;
  o.resolver.forwarders = {"127.0.0.1@9"};  // loopback only: routes are literals or localhost
  std::string domain, from, routes, smarthost, user, password_file;
  std::vector<std::string> rcpts, files;
  int timeout = 60;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : std::string(); };
    if (a == "--domain")
      domain = next();
    else if (a == "--route")
      routes += (routes.empty() ? "" : ", ") + next();
    else if (a == "--from")
      from = next();
    else if (a == "--rcpt")
      rcpts.push_back(next());
    else if (a == "--tls-required")
      o.tls_required_domains.insert("*");
    else if (a == "--ca")
      o.smarthost_ca_file = next();
    else if (a == "--ehlo")
      o.ehlo_name = next();
    else if (a == "--smarthost")
      smarthost = next();
    else if (a == "--user")
      user = next();
    else if (a == "--password-file")
      password_file = next();
    else if (a == "--timeout")
      timeout = std::atoi(next().c_str());
    else if (a == "--max-per-destination")
      o.max_connections_per_destination = std::atoi(next().c_str());
    else
      files.push_back(a);
  }
  if (domain.empty() || rcpts.empty() || files.empty()) return usage("missing arguments");
  if (o.tls_required_domains.count("*")) {
    o.tls_required_domains.clear();
    o.tls_required_domains.insert(domain);
  }
  std::string error;
  if (!smtp::parse_routes(routes, o.routes, error)) return usage(error.c_str());
  if (!smarthost.empty()) {
    o.smarthost = dns::parse_route_target(smarthost, error);
    if (!o.smarthost) return usage(error.c_str());
    if (!user.empty()) {
      std::ifstream in(password_file);
      std::string pw;
      if (!std::getline(in, pw)) return usage("cannot read the password file");
      o.smarthost_credentials = smtp::ClientCredentials{user, pw};
    }
  }
  o.connect_timeout = std::chrono::seconds(10);
  o.timeouts.greeting = o.timeouts.command = o.timeouts.mail = o.timeouts.rcpt =
      o.timeouts.data_block = o.timeouts.data_done = std::chrono::seconds(20);

  smtp::MessageList messages;
  int n = 0;
  for (const auto& f : files) {
    std::ifstream in(f, std::ios::binary);
    if (!in) return usage(("cannot read " + f).c_str());
    auto data = std::make_shared<std::string>(std::istreambuf_iterator<char>(in),
                                              std::istreambuf_iterator<char>());
    auto m = std::make_shared<queue::OutboundMessage>();
    m->spool_name = m->id = "P" + std::to_string(++n);
    m->mail_from = from;
    m->size = data->size();
    m->eight_bit = !mime::is_7bit(*data);
    for (const auto& r : rcpts) m->recipients.push_back({r, "", ""});
    m->read = [data](std::uint64_t offset, std::size_t max, std::string& out) {
      out.clear();
      if (offset < data->size()) out = data->substr(static_cast<std::size_t>(offset), max);
      return std::error_code();
    };
    messages.push_back(std::move(m));
  }

  asio::io_context io;
  asio::thread_pool workers(1);
  auto transport = smtp::OutboundTransport::create(io.get_executor(), workers, std::move(o), error);
  if (!transport) return usage(error.c_str());
  bool done = false;
  std::vector<std::vector<queue::RemoteReply>> replies;
  transport->deliver(domain, std::move(messages), [&](auto r) {
    replies = std::move(r);
    done = true;
  });
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(timeout);
  while (!done && std::chrono::steady_clock::now() < end) {
    io.restart();
    io.run_for(std::chrono::milliseconds(50));
  }
  if (!done) return usage("timed out");
  for (std::size_t i = 0; i < replies.size(); ++i)
    for (std::size_t j = 0; j < replies[i].size(); ++j) {
      const auto& r = replies[i][j];
      std::printf(
          "{\"message\": %zu, \"recipient\": %zu, \"kind\": \"%s\", \"code\": %d, \"enhanced\": "
          "%s, \"text\": %s, \"remote_host\": %s, \"from_server\": %s, \"final_reply_lost\": "
          "%s}\n",
          i, j, kind_name(r.kind), r.code, json_string(r.enhanced).c_str(),
          json_string(r.text).c_str(), json_string(r.remote_host).c_str(),
          r.from_server ? "true" : "false", r.final_reply_lost ? "true" : "false");
    }
  transport->shutdown();
  io.restart();
  io.run_for(std::chrono::milliseconds(100));
  workers.join();
  return 0;
}
