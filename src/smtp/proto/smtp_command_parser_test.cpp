// smtp_command_parser_test: every command form and ESMTP parameter the parser accepts, and
// the malformed variants with the reply each one must produce.
#include "smtp/proto/smtp_command_parser.hpp"

#include <gtest/gtest.h>

#include <string>

namespace estafeta::smtp {
namespace {

std::string code_of(const PeerError& e) {
  return std::to_string(e.code) + " " + e.enhanced;
}

template <class T>
std::string err(const Result<T>& r) {
  return r.ok() ? std::string("ok") : code_of(r.error());
}

TEST(SplitCommand, VerbsAreCaseInsensitive) {
  EXPECT_EQ(split_command("ehlo x").verb, Verb::ehlo);
  EXPECT_EQ(split_command("HeLo x").verb, Verb::helo);
  EXPECT_EQ(split_command("mail FROM:<>").verb, Verb::mail);
  EXPECT_EQ(split_command("rcpt to:<a@b>").verb, Verb::rcpt);
  EXPECT_EQ(split_command("Data").verb, Verb::data);
  EXPECT_EQ(split_command("bdat 10 last").verb, Verb::bdat);
  EXPECT_EQ(split_command("rset").verb, Verb::rset);
  EXPECT_EQ(split_command("noop").verb, Verb::noop);
  EXPECT_EQ(split_command("help").verb, Verb::help);
  EXPECT_EQ(split_command("vrfy x").verb, Verb::vrfy);
  EXPECT_EQ(split_command("expn x").verb, Verb::expn);
  EXPECT_EQ(split_command("quit").verb, Verb::quit);
  EXPECT_EQ(split_command("StartTLS").verb, Verb::starttls);
  EXPECT_EQ(split_command("auth plain").verb, Verb::auth);
  EXPECT_EQ(split_command("TURN").verb, Verb::unknown);
  EXPECT_EQ(split_command("").verb, Verb::unknown);
  EXPECT_EQ(split_command("MAILFROM:<>").verb, Verb::unknown);
}

TEST(SplitCommand, Argument) {
  auto c = split_command("MAIL FROM:<a@b> SIZE=10");
  EXPECT_EQ(c.verb_text, "MAIL");
  EXPECT_EQ(c.argument, "FROM:<a@b> SIZE=10");
  EXPECT_TRUE(c.has_argument);
  auto d = split_command("DATA  ");
  EXPECT_FALSE(d.has_argument);
  auto n = split_command("NOOP");
  EXPECT_FALSE(n.has_argument);
  EXPECT_EQ(verb_name(Verb::starttls), "STARTTLS");
}

TEST(Helo, AcceptsDomainsAndLiterals) {
  EXPECT_EQ(*parse_helo("mail.example.org", true), "mail.example.org");
  EXPECT_EQ(*parse_helo("[192.0.2.1]", true), "[192.0.2.1]");
  EXPECT_EQ(*parse_helo("my_pc", false), "my_pc");
  EXPECT_TRUE(parse_helo("bücher.example", true).ok());
}

TEST(Helo, RefusesGarbage) {
  EXPECT_EQ(err(parse_helo("", true)), "501 5.5.4");
  EXPECT_EQ(err(parse_helo("a b", true)), "501 5.5.4");
  EXPECT_EQ(err(parse_helo("a\tb", true)), "501 5.5.4");
  EXPECT_EQ(err(parse_helo(std::string("a\0b", 3), true)), "501 5.5.4");
  EXPECT_EQ(err(parse_helo("\xff\xfe", true)), "501 5.5.4");
  EXPECT_EQ(err(parse_helo(std::string(300, 'a'), true)), "501 5.5.4");
  EXPECT_EQ(parse_helo("", false).error().text, "Syntax: HELO hostname");
}

TEST(MailFrom, PlainAndNull) {
  auto r = parse_mail_from("FROM:<alice@example.org>");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->from.address, "alice@example.org");
  EXPECT_FALSE(r->from.utf8);
  auto n = parse_mail_from("from:<>");
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->from.address, "");
  // Postfix-style tolerance of a space after the colon.
  EXPECT_TRUE(parse_mail_from("FROM: <a@b.example>").ok());
}

TEST(MailFrom, QuotedLocalPart) {
  auto r = parse_mail_from("FROM:<\"john doe\"@example.org>");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->from.address, "john doe@example.org");
  EXPECT_EQ(r->from.wire, "\"john doe\"@example.org");
  // A quoted string that is a valid dot-string is the same as the unquoted form (§4.1.2).
  auto q = parse_mail_from("FROM:<\"john.doe\"@example.org>");
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->from.wire, "john.doe@example.org");
  auto e = parse_mail_from("FROM:<\"a\\\"b\\\\c\"@example.org>");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->from.address, "a\"b\\c@example.org");
  EXPECT_EQ(e->from.wire, "\"a\\\"b\\\\c\"@example.org");
  // '>' inside quotes does not end the path.
  auto g = parse_mail_from("FROM:<\"a>b\"@example.org>");
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(g->from.address, "a>b@example.org");
}

TEST(MailFrom, DomainLiteralsAndSourceRoutes) {
  EXPECT_EQ(parse_mail_from("FROM:<a@[192.0.2.1]>")->from.address, "a@[192.0.2.1]");
  EXPECT_TRUE(parse_mail_from("FROM:<a@[IPv6:2001:db8::1]>").ok());
  EXPECT_TRUE(parse_mail_from("FROM:<a@[IPv6:::1]>").ok());
  EXPECT_TRUE(parse_mail_from("FROM:<a@[IPv6:1:2:3:4:5:6:7:8]>").ok());
  EXPECT_TRUE(parse_mail_from("FROM:<a@[IPv6:::ffff:192.0.2.1]>").ok());
  EXPECT_TRUE(parse_mail_from("FROM:<a@[x-tag:stuff]>").ok());
  EXPECT_EQ(err(parse_mail_from("FROM:<a@[192.0.2.256]>")), "501 5.1.7");
  EXPECT_EQ(err(parse_mail_from("FROM:<a@[1.2.3]>")), "501 5.1.7");
  EXPECT_EQ(err(parse_mail_from("FROM:<a@[IPv6:1::2::3]>")), "501 5.1.7");
  EXPECT_EQ(err(parse_mail_from("FROM:<a@[IPv6:1:2:3:4:5:6:7:8:9]>")), "501 5.1.7");
  EXPECT_EQ(err(parse_mail_from("FROM:<a@[IPv6:12345::]>")), "501 5.1.7");
  EXPECT_EQ(err(parse_mail_from("FROM:<a@[]>")), "501 5.1.7");
  auto sr = parse_mail_from("FROM:<@relay.example,@other.example:user@example.org>");
  ASSERT_TRUE(sr.ok());
  EXPECT_EQ(sr->from.address, "user@example.org");
  EXPECT_EQ(err(parse_mail_from("FROM:<@relay.example user@example.org>")), "501 5.1.7");
  EXPECT_EQ(err(parse_mail_from("FROM:<@:user@example.org>")), "501 5.1.7");
}

TEST(MailFrom, MalformedAddresses) {
  EXPECT_EQ(err(parse_mail_from("")), "501 5.5.2");
  EXPECT_EQ(err(parse_mail_from("TO:<a@b>")), "501 5.5.2");
  EXPECT_EQ(err(parse_mail_from("FROM:a@b.example")), "501 5.1.7");
  EXPECT_EQ(err(parse_mail_from("FROM:<a@b.example")), "501 5.1.7");
  EXPECT_EQ(err(parse_mail_from("FROM:<a>")), "501 5.1.7");
  EXPECT_EQ(err(parse_mail_from("FROM:<@b.example>")), "501 5.1.7");
  EXPECT_EQ(err(parse_mail_from("FROM:<a..b@example.org>")), "501 5.1.7");
  EXPECT_EQ(err(parse_mail_from("FROM:<.a@example.org>")), "501 5.1.7");
  EXPECT_EQ(err(parse_mail_from("FROM:<a.@example.org>")), "501 5.1.7");
  EXPECT_EQ(err(parse_mail_from("FROM:<a b@example.org>")), "501 5.1.7");
  EXPECT_EQ(err(parse_mail_from("FROM:<a@-example.org>")), "501 5.1.7");
  EXPECT_EQ(err(parse_mail_from("FROM:<a@example-.org>")), "501 5.1.7");
  EXPECT_EQ(err(parse_mail_from("FROM:<a@example..org>")), "501 5.1.7");
  EXPECT_EQ(err(parse_mail_from("FROM:<a@example.org.>")), "501 5.1.7");
  EXPECT_EQ(err(parse_mail_from("FROM:<\"unterminated@example.org>")), "501 5.1.7");
  EXPECT_EQ(err(parse_mail_from("FROM:<\"a\x01\"@example.org>")), "501 5.1.7");
  EXPECT_EQ(err(parse_mail_from("FROM:<a@example.org>x")), "501 5.1.7");
  EXPECT_EQ(err(parse_mail_from("FROM:<Postmaster>")), "501 5.1.7");
  std::string long_domain = "a@" + std::string(63, 'x') + "." + std::string(63, 'y') + "." +
                            std::string(63, 'z') + "." + std::string(63, 'w') + ".org";
  EXPECT_EQ(err(parse_mail_from("FROM:<" + long_domain + ">")), "501 5.1.7");
  EXPECT_EQ(err(parse_mail_from("FROM:<a@" + std::string(64, 'x') + ".org>")), "501 5.1.7");
}

TEST(MailFrom, Utf8NeedsSmtpUtf8) {
  EXPECT_EQ(err(parse_mail_from("FROM:<josé@example.org>")), "553 5.6.7");
  auto r = parse_mail_from("FROM:<josé@bücher.example> SMTPUTF8");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->from.utf8);
  EXPECT_TRUE(r->params.smtputf8);
  EXPECT_EQ(err(parse_mail_from("FROM:<jos\xc3@example.org> SMTPUTF8")), "501 5.1.7");
  EXPECT_EQ(err(parse_mail_from("FROM:<\xed\xa0\x80@example.org> SMTPUTF8")), "501 5.1.7");
}

TEST(MailFrom, SizeParameter) {
  EXPECT_EQ(*parse_mail_from("FROM:<> SIZE=12345")->params.size, 12345u);
  EXPECT_EQ(*parse_mail_from("FROM:<> size=0")->params.size, 0u);
  EXPECT_EQ(*parse_mail_from("FROM:<> SIZE=99999999999999999999")->params.size, UINT64_MAX);
  EXPECT_EQ(err(parse_mail_from("FROM:<> SIZE=")), "501 5.5.4");
  EXPECT_EQ(err(parse_mail_from("FROM:<> SIZE")), "501 5.5.4");
  EXPECT_EQ(err(parse_mail_from("FROM:<> SIZE=12a")), "501 5.5.4");
  EXPECT_EQ(err(parse_mail_from("FROM:<> SIZE=-1")), "501 5.5.4");
  EXPECT_EQ(err(parse_mail_from("FROM:<> SIZE=123456789012345678901")), "501 5.5.4");
  EXPECT_EQ(err(parse_mail_from("FROM:<> SIZE=1 SIZE=2")), "501 5.5.4");
}

TEST(MailFrom, BodyParameter) {
  EXPECT_EQ(parse_mail_from("FROM:<> BODY=8bitmime")->params.body, "8BITMIME");
  EXPECT_EQ(parse_mail_from("FROM:<> BODY=7BIT")->params.body, "7BIT");
  EXPECT_EQ(err(parse_mail_from("FROM:<> BODY=BINARYMIME")), "501 5.5.4");
  EXPECT_EQ(err(parse_mail_from("FROM:<> BODY=")), "501 5.5.4");
  EXPECT_EQ(err(parse_mail_from("FROM:<> BODY")), "501 5.5.4");
  EXPECT_EQ(err(parse_mail_from("FROM:<> BODY=7BIT BODY=7BIT")), "501 5.5.4");
}

TEST(MailFrom, SmtpUtf8Parameter) {
  EXPECT_TRUE(parse_mail_from("FROM:<a@b.example> SMTPUTF8")->params.smtputf8);
  EXPECT_TRUE(parse_mail_from("FROM:<a@b.example> requiretls")->params.requiretls);
  EXPECT_FALSE(parse_mail_from("FROM:<a@b.example>")->params.requiretls);
  EXPECT_EQ(err(parse_mail_from("FROM:<> REQUIRETLS REQUIRETLS")), "501 5.5.4");
  EXPECT_EQ(err(parse_mail_from("FROM:<> SMTPUTF8=yes")), "501 5.5.4");
  EXPECT_EQ(err(parse_mail_from("FROM:<> SMTPUTF8 SMTPUTF8")), "501 5.5.4");
}

TEST(MailFrom, DsnParameters) {
  auto r = parse_mail_from("FROM:<a@b.example> RET=hdrs ENVID=QQ314159+2B1");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->params.ret, "HDRS");
  EXPECT_EQ(r->params.envid, "QQ314159+2B1");
  EXPECT_EQ(parse_mail_from("FROM:<> RET=FULL")->params.ret, "FULL");
  EXPECT_EQ(err(parse_mail_from("FROM:<> RET=SOME")), "501 5.5.4");
  EXPECT_EQ(err(parse_mail_from("FROM:<> RET=FULL RET=HDRS")), "501 5.5.4");
  EXPECT_EQ(err(parse_mail_from("FROM:<> ENVID=a+zz")), "501 5.5.4");
  EXPECT_EQ(err(parse_mail_from("FROM:<> ENVID=a+2b")), "501 5.5.4");  // hex must be upper
  EXPECT_EQ(err(parse_mail_from("FROM:<> ENVID=a+2")), "501 5.5.4");
  EXPECT_EQ(err(parse_mail_from("FROM:<> ENVID=" + std::string(101, 'x'))), "501 5.5.4");
  EXPECT_TRUE(parse_mail_from("FROM:<> ENVID=" + std::string(100, 'x')).ok());
}

TEST(MailFrom, AuthParameter) {
  EXPECT_EQ(*parse_mail_from("FROM:<a@b.example> AUTH=<>")->params.auth, "<>");
  EXPECT_EQ(*parse_mail_from("FROM:<a@b.example> AUTH=a+40b.example")->params.auth,
            "a+40b.example");
  EXPECT_EQ(err(parse_mail_from("FROM:<> AUTH=a+4")), "501 5.5.4");
  EXPECT_EQ(err(parse_mail_from("FROM:<> AUTH=")), "501 5.5.4");
}

TEST(MailFrom, UnknownAndMalformedParameters) {
  EXPECT_EQ(err(parse_mail_from("FROM:<> XFOO=1")), "555 5.5.4");
  EXPECT_EQ(err(parse_mail_from("FROM:<> NOTIFY=NEVER")), "555 5.5.4");
  EXPECT_EQ(err(parse_mail_from("FROM:<> -X=1")), "501 5.5.4");
  EXPECT_EQ(err(parse_mail_from("FROM:<> A=b=c")), "501 5.5.4");
  EXPECT_EQ(err(parse_mail_from("FROM:<> =1")), "501 5.5.4");
  // Extra spaces between parameters are tolerated.
  EXPECT_TRUE(parse_mail_from("FROM:<>  SIZE=1   BODY=7BIT").ok());
  std::string many = "FROM:<>";
  for (int i = 0; i < 20; ++i) many += " SIZE=1";
  EXPECT_EQ(err(parse_mail_from(many)), "501 5.5.4");
}

TEST(RcptTo, Plain) {
  auto r = parse_rcpt_to("TO:<bob@example.org>", false, "mx.example.org");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->to.address, "bob@example.org");
  EXPECT_FALSE(r->postmaster);
  EXPECT_TRUE(parse_rcpt_to("to: <bob@example.org>", false, "h").ok());
  // RFC 5321 §4.5.3.1.1: 64 octets of local part; an SRS address (a bounce to forwarded mail)
  // may be longer, up to 256.
  const std::string long_local(65, 'a');
  EXPECT_FALSE(parse_rcpt_to("TO:<" + long_local + "@example.org>", false, "h").ok());
  const std::string srs = "SRS0=abcde=x2=" + std::string(60, 'd') + ".example=" + long_local;
  EXPECT_TRUE(parse_rcpt_to("TO:<" + srs + "@example.org>", false, "h").ok());
  EXPECT_FALSE(
      parse_rcpt_to("TO:<SRS0=" + std::string(260, 'a') + "@example.org>", false, "h").ok());
}

TEST(RcptTo, Postmaster) {
  auto r = parse_rcpt_to("TO:<Postmaster>", false, "mx.example.org");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->postmaster);
  EXPECT_EQ(r->to.address, "postmaster@mx.example.org");
  EXPECT_TRUE(parse_rcpt_to("TO:<POSTMASTER>", false, "h").ok());
  EXPECT_TRUE(parse_rcpt_to("TO:<postmaster@example.org>", false, "h").ok());
  EXPECT_FALSE(parse_rcpt_to("TO:<postmaster@example.org>", false, "h")->postmaster);
}

TEST(RcptTo, Malformed) {
  EXPECT_EQ(err(parse_rcpt_to("", false, "h")), "501 5.5.2");
  EXPECT_EQ(err(parse_rcpt_to("FROM:<a@b>", false, "h")), "501 5.5.2");
  EXPECT_EQ(err(parse_rcpt_to("TO:<>", false, "h")), "501 5.1.3");
  EXPECT_EQ(err(parse_rcpt_to("TO:bob@example.org", false, "h")), "501 5.1.3");
  EXPECT_EQ(err(parse_rcpt_to("TO:<bob>", false, "h")), "501 5.1.3");
  EXPECT_EQ(err(parse_rcpt_to("TO:<bob@>", false, "h")), "501 5.1.3");
  EXPECT_EQ(err(parse_rcpt_to("TO:<" + std::string(65, 'a') + "@example.org>", false, "h")),
            "501 5.1.3");
  EXPECT_TRUE(parse_rcpt_to("TO:<" + std::string(64, 'a') + "@example.org>", false, "h").ok());
  EXPECT_EQ(err(parse_rcpt_to("TO:<bob@example.org> SIZE=10", false, "h")), "555 5.5.4");
  EXPECT_EQ(err(parse_rcpt_to("TO:<δοκιμή@example.org>", false, "h")), "553 5.6.7");
  EXPECT_TRUE(parse_rcpt_to("TO:<δοκιμή@example.org>", true, "h").ok());
}

TEST(RcptTo, Notify) {
  EXPECT_EQ(parse_rcpt_to("TO:<b@e.org> NOTIFY=never", false, "h")->params.notify, "NEVER");
  EXPECT_EQ(parse_rcpt_to("TO:<b@e.org> NOTIFY=SUCCESS,FAILURE,DELAY", false, "h")->params.notify,
            "SUCCESS,FAILURE,DELAY");
  EXPECT_EQ(parse_rcpt_to("TO:<b@e.org> NOTIFY=delay", false, "h")->params.notify, "DELAY");
  EXPECT_EQ(err(parse_rcpt_to("TO:<b@e.org> NOTIFY=NEVER,SUCCESS", false, "h")), "501 5.5.4");
  EXPECT_EQ(err(parse_rcpt_to("TO:<b@e.org> NOTIFY=SUCCESS,SUCCESS", false, "h")), "501 5.5.4");
  EXPECT_EQ(err(parse_rcpt_to("TO:<b@e.org> NOTIFY=SUCCESS,", false, "h")), "501 5.5.4");
  EXPECT_EQ(err(parse_rcpt_to("TO:<b@e.org> NOTIFY=", false, "h")), "501 5.5.4");
  EXPECT_EQ(err(parse_rcpt_to("TO:<b@e.org> NOTIFY=ALWAYS", false, "h")), "501 5.5.4");
  EXPECT_EQ(err(parse_rcpt_to("TO:<b@e.org> NOTIFY=NEVER NOTIFY=NEVER", false, "h")), "501 5.5.4");
}

TEST(RcptTo, Orcpt) {
  EXPECT_EQ(parse_rcpt_to("TO:<b@e.org> ORCPT=rfc822;b+40e.org", false, "h")->params.orcpt,
            "rfc822;b+40e.org");
  EXPECT_TRUE(parse_rcpt_to("TO:<b@e.org> ORCPT=utf-8;b\\x{e9}@e.org", false, "h").ok());
  // RFC 6533: raw UTF-8 only in a "utf-8" ORCPT of an SMTPUTF8 transaction.
  EXPECT_TRUE(parse_rcpt_to("TO:<b@e.org> ORCPT=utf-8;bé@e.org", true, "h").ok());
  EXPECT_EQ(err(parse_rcpt_to("TO:<b@e.org> ORCPT=utf-8;bé@e.org", false, "h")), "501 5.5.4");
  EXPECT_EQ(err(parse_rcpt_to("TO:<b@e.org> ORCPT=rfc822;bé@e.org", true, "h")), "501 5.5.4");
  EXPECT_EQ(err(parse_rcpt_to("TO:<b@e.org> ORCPT=rfc822", false, "h")), "501 5.5.4");
  EXPECT_EQ(err(parse_rcpt_to("TO:<b@e.org> ORCPT=;b@e.org", false, "h")), "501 5.5.4");
  EXPECT_EQ(err(parse_rcpt_to("TO:<b@e.org> ORCPT=rfc822;", false, "h")), "501 5.5.4");
  EXPECT_EQ(err(parse_rcpt_to("TO:<b@e.org> ORCPT=rfc822;b+4", false, "h")), "501 5.5.4");
  EXPECT_EQ(err(parse_rcpt_to("TO:<b@e.org> ORCPT=rfc(822;b", false, "h")), "501 5.5.4");
  EXPECT_EQ(err(parse_rcpt_to("TO:<b@e.org> ORCPT=rfc822;" + std::string(500, 'x'), false, "h")),
            "501 5.5.4");
}

TEST(Bdat, Forms) {
  std::optional<std::uint64_t> size;
  auto a = parse_bdat("1000", size);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->size, 1000u);
  EXPECT_FALSE(a->last);
  auto b = parse_bdat("0 last", size);
  ASSERT_TRUE(b.ok());
  EXPECT_TRUE(b->last);
  EXPECT_EQ(*size, 0u);
  EXPECT_EQ(parse_bdat("18446744073709551615", size)->size, UINT64_MAX);
}

TEST(Bdat, Malformed) {
  std::optional<std::uint64_t> size;
  EXPECT_EQ(err(parse_bdat("", size)), "501 5.5.4");
  EXPECT_FALSE(size);
  EXPECT_EQ(err(parse_bdat("x", size)), "501 5.5.4");
  EXPECT_FALSE(size);
  EXPECT_EQ(err(parse_bdat("-1", size)), "501 5.5.4");
  EXPECT_EQ(err(parse_bdat("18446744073709551616", size)), "501 5.5.4");
  EXPECT_FALSE(size);
  // The size is known even though the keyword is wrong: the chunk can still be skipped.
  EXPECT_EQ(err(parse_bdat("10 FIRST", size)), "501 5.5.4");
  ASSERT_TRUE(size);
  EXPECT_EQ(*size, 10u);
}

TEST(Auth, Forms) {
  auto a = parse_auth("plain");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->mechanism, "PLAIN");
  EXPECT_FALSE(a->initial_response);
  auto b = parse_auth("PLAIN AGFsaWNlAHNlY3JldA==");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(*b->initial_response, "AGFsaWNlAHNlY3JldA==");
  EXPECT_EQ(*parse_auth("PLAIN =")->initial_response, "=");
  EXPECT_EQ(parse_auth("SCRAM-SHA-256")->mechanism, "SCRAM-SHA-256");
  EXPECT_EQ(err(parse_auth("")), "501 5.5.4");
  EXPECT_EQ(err(parse_auth("PL@IN")), "501 5.5.4");
  EXPECT_EQ(err(parse_auth(std::string(21, 'A'))), "501 5.5.4");
  EXPECT_EQ(err(parse_auth("PLAIN a b")), "501 5.5.4");
}

TEST(Xtext, Grammar) {
  EXPECT_TRUE(is_xtext(""));
  EXPECT_TRUE(is_xtext("abc+2B+3D"));
  EXPECT_FALSE(is_xtext("a=b"));
  EXPECT_FALSE(is_xtext("a b"));
  EXPECT_FALSE(is_xtext("a+"));
  EXPECT_FALSE(is_xtext("a+G0"));
  EXPECT_FALSE(is_xtext("\x80"));
}

}  // namespace
}  // namespace estafeta::smtp
