// smtp_outbound_reply_test: the outbound transport's pure parts: client results as queue
// replies, whole-destination failures (null MX, temporary DNS failure), connection failure
// texts, the reverse-DNS refusal check, and the [relay]/[dns]/[routing] configuration.
#include "smtp/smtp_outbound_reply.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "smtp/smtp_outbound_config.hpp"

namespace estafeta::smtp {
namespace {

using Kind = queue::RemoteReply::Kind;

RecipientResult result(RecipientOutcome o, int code, std::string enhanced, std::string text,
                       bool remote = true) {
  RecipientResult r;
  r.outcome = o;
  r.code = code;
  r.enhanced = std::move(enhanced);
  r.text = std::move(text);
  r.remote = remote;
  return r;
}

TEST(OutboundReply, OutcomesMapToKinds) {
  auto d = to_remote_reply(result(RecipientOutcome::delivered, 250, "2.0.0", "ok"), false, "mx");
  EXPECT_EQ(d.kind, Kind::delivered);
  EXPECT_EQ(d.code, 250);
  EXPECT_EQ(d.remote_host, "mx");
  EXPECT_TRUE(d.from_server);
  EXPECT_TRUE(d.dsn_passed_on);  // RFC 3461 §5.2.2: the next hop reports success itself
  RecipientResult undsn = result(RecipientOutcome::delivered, 250, "2.0.0", "ok");
  undsn.dsn_not_passed = true;  // NOTIFY given, the peer lacks DSN: we owe a "relayed" notice
  EXPECT_FALSE(to_remote_reply(undsn, false, "mx").dsn_passed_on);
  auto b = to_remote_reply(result(RecipientOutcome::bounced, 550, "5.1.1", "no user"), false, "mx");
  EXPECT_EQ(b.kind, Kind::bounced);
  EXPECT_EQ(b.enhanced, "5.1.1");
  EXPECT_EQ(b.text, "no user");
  auto f =
      to_remote_reply(result(RecipientOutcome::deferred, 451, "4.4.2", "lost", false), true, "mx");
  EXPECT_EQ(f.kind, Kind::deferred);
  EXPECT_TRUE(f.final_reply_lost);
  EXPECT_FALSE(f.from_server);
  // final_reply_lost only where nothing was decided.
  EXPECT_FALSE(to_remote_reply(result(RecipientOutcome::bounced, 550, "5.1.1", "x"), true, "mx")
                   .final_reply_lost);
  auto p = to_remote_reply(RecipientResult{}, false, "mx");
  EXPECT_EQ(p.kind, Kind::deferred);
  EXPECT_EQ(p.code, 451);
}

TEST(OutboundReply, PlanFailures) {
  dns::RoutePlan nullmx;
  nullmx.outcome = dns::RouteOutcome::permanent_failure;
  nullmx.domain = "example.org";
  nullmx.error = {556, "5.1.10", "domain example.org does not accept mail (null MX, RFC 7505)"};
  auto r = plan_failure_reply(nullmx);
  EXPECT_EQ(r.kind, Kind::bounced);
  EXPECT_EQ(r.code, 556);
  EXPECT_EQ(r.enhanced, "5.1.10");
  EXPECT_FALSE(r.from_server);
  dns::RoutePlan servfail;
  servfail.outcome = dns::RouteOutcome::temporary_failure;
  servfail.domain = "example.org";
  servfail.error = {451, "4.4.3", "MX lookup for example.org failed: SERVFAIL"};
  auto t = plan_failure_reply(servfail);
  EXPECT_EQ(t.kind, Kind::deferred);
  EXPECT_EQ(t.enhanced, "4.4.3");
  auto all = replies_for_all({2, 1}, t);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].size(), 2u);
  EXPECT_EQ(all[1][0].text, t.text);
}

TEST(OutboundReply, AttemptAndCloseTexts) {
  dns::RouteAttempt at;
  at.host = "mx.example.org";
  at.address = *dns::IpAddress::parse("192.0.2.1");
  at.port = 25;
  EXPECT_EQ(describe_attempt(at), "mx.example.org[192.0.2.1]:25");
  dns::RouteAttempt lit = at;
  lit.host = "192.0.2.1";
  EXPECT_EQ(describe_attempt(lit), "[192.0.2.1]:25");
  ClientClose c;
  c.reason = CloseReason::greeting_refused;
  c.reply.code = 554;
  c.reply.lines = {"no thanks"};
  auto r = close_reply(c, at);
  EXPECT_EQ(r.kind, Kind::deferred);
  EXPECT_EQ(r.code, 554);
  EXPECT_EQ(r.enhanced, "4.0.0");
  EXPECT_EQ(r.text, "mx.example.org[192.0.2.1]:25 said: no thanks");
  ClientClose h;
  h.reason = CloseReason::helo_refused;
  h.permanent = true;
  h.reply.code = 550;
  h.reply.enhanced = "5.7.1";
  h.reply.lines = {"bad HELO"};
  EXPECT_EQ(close_reply(h, at).kind, Kind::bounced);
  ClientClose t;
  t.reason = CloseReason::tls_unavailable;
  t.text = "STARTTLS required but not offered";
  auto tr = close_reply(t, at);
  EXPECT_EQ(tr.kind, Kind::deferred);
  EXPECT_EQ(tr.text, "mx.example.org[192.0.2.1]:25: STARTTLS required but not offered");
  EXPECT_EQ(tr.enhanced, "4.4.2");
  ClientClose f;  // a certificate DANE refused: a cryptographic failure, retried
  f.reason = CloseReason::tls_failed;
  f.text = "DANE: no TLSA record matches the certificate of mx.example.org[192.0.2.1]:25";
  auto fr = close_reply(f, at);
  EXPECT_EQ(fr.kind, Kind::deferred);
  EXPECT_EQ(fr.code, 451);
  EXPECT_EQ(fr.enhanced, "4.7.5");
}

TEST(OutboundReply, ReverseDnsRefusals) {
  EXPECT_TRUE(blames_reverse_dns(550, "5.7.1 IPv6 sender has no PTR record"));
  EXPECT_TRUE(blames_reverse_dns(
      550, "The IP you're using to send mail is not authorized ... missing reverse DNS"));
  EXPECT_TRUE(blames_reverse_dns(554, "Client host rejected: cannot find your reverse hostname"));
  EXPECT_TRUE(blames_reverse_dns(550, "no rDNS for 2001:db8::1"));
  EXPECT_FALSE(blames_reverse_dns(450, "no PTR record"));  // temporary: not this rule
  EXPECT_FALSE(blames_reverse_dns(550, "connection interrupted"));
  EXPECT_FALSE(blames_reverse_dns(550, "no such user"));
}

TEST(OutboundConfig, ListsAndRoutes) {
  EXPECT_EQ(split_list(" a.example, ,B.example ", true),
            (std::vector<std::string>{"a.example", "b.example"}));
  dns::RouteTable table;
  std::string error;
  ASSERT_TRUE(parse_routes("example.test = [127.0.0.1]:2525, .corp.example = mx.corp.example",
                           table, error))
      << error;
  ASSERT_NE(table.find("example.test"), nullptr);
  EXPECT_EQ(table.find("example.test")->port, 2525);
  EXPECT_NE(table.find("a.corp.example"), nullptr);
  EXPECT_EQ(table.find("other.example"), nullptr);
  dns::RouteTable bad;
  EXPECT_FALSE(parse_routes("example.test [127.0.0.1]", bad, error));
  EXPECT_NE(error.find("expected"), std::string::npos);
}

TEST(OutboundConfig, OptionsFromTheConfiguration) {
  register_outbound_config();
  char tmpl[] = "/tmp/estafeta-outbound-test-XXXXXX";
  int fd = ::mkstemp(tmpl);
  ASSERT_GE(fd, 0);
  ::close(fd);
  std::ofstream(tmpl) << "s3cret\nignored\n";
  config::Config c = config::defaults();
  c.hostname = "mail.example.net";
  std::string error;
  auto plain = outbound_options_from(c, error);
  ASSERT_TRUE(plain) << error;
  EXPECT_EQ(plain->ehlo_name, "mail.example.net");
  EXPECT_FALSE(plain->smarthost);
  EXPECT_TRUE(plain->routes.empty());
  EXPECT_EQ(plain->max_connections, 100u);
  EXPECT_EQ(plain->max_connections_per_destination, 20u);
  EXPECT_TRUE(plain->resolver.dnssec);
  EXPECT_EQ(plain->route.local_names, std::vector<std::string>{"mail.example.net"});

  c.sections["relay"]["smarthost"] = std::string("[smtp.provider.example]:587");
  c.sections["relay"]["smarthost_user"] = std::string("me@provider.example");
  c.sections["relay"]["smarthost_password_file"] = std::string(tmpl);
  c.sections["relay"]["tls_required_domains"] = std::string("bank.example, .gov.example");
  c.sections["dns"]["forwarders"] = std::string("127.0.0.1@5353, ::1");
  c.sections["routing"]["routes"] = std::string("example.test = [127.0.0.1]:2525");
  c.sections["routing"]["address_families"] = std::string("ipv4-only");
  auto o = outbound_options_from(c, error);
  ASSERT_TRUE(o) << error;
  ASSERT_TRUE(o->smarthost);
  EXPECT_EQ(o->smarthost->host, "smtp.provider.example");
  EXPECT_EQ(o->smarthost->port, 587);
  ASSERT_TRUE(o->smarthost_credentials);
  EXPECT_EQ(o->smarthost_credentials->user, "me@provider.example");
  EXPECT_EQ(o->smarthost_credentials->password, "s3cret");
  EXPECT_TRUE(o->tls_required("bank.example"));
  EXPECT_TRUE(o->tls_required("a.gov.example"));
  EXPECT_FALSE(o->tls_required("gov.example"));
  EXPECT_FALSE(o->tls_required("other.example"));
  EXPECT_EQ(o->resolver.forwarders, (std::vector<std::string>{"127.0.0.1@5353", "::1"}));
  EXPECT_EQ(o->route.families, dns::AddressFamilies::ipv4_only);
  EXPECT_NE(o->routes.find("example.test"), nullptr);

  c.sections["relay"]["smarthost_password_file"] = std::string("/nonexistent/pw");
  EXPECT_FALSE(outbound_options_from(c, error));
  EXPECT_NE(error.find("relay.smarthost_password_file"), std::string::npos);
  c.sections["relay"]["smarthost_password_file"] = std::string(tmpl);
  c.sections["routing"]["routes"] = std::string("* = [relay.example]");
  EXPECT_FALSE(outbound_options_from(c, error));
  EXPECT_NE(error.find("\"*\""), std::string::npos);
  std::remove(tmpl);

  // Values are checked at load.
  const config::Section* routing = config::find_section("routing");
  ASSERT_NE(routing, nullptr);
  EXPECT_NE(routing->check("routes", std::string("example.test = [")), "");
  EXPECT_EQ(routing->check("routes", std::string("example.test = [127.0.0.1]")), "");
  EXPECT_NE(routing->check("address_families", std::string("ipv5")), "");
  const config::Section* relay = config::find_section("relay");
  ASSERT_NE(relay, nullptr);
  EXPECT_NE(relay->check("smarthost", std::string("[bad")), "");
  EXPECT_NE(relay->check("max_connections", int64_t{0}), "");
}

}  // namespace
}  // namespace estafeta::smtp
