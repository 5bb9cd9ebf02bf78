// Tests of the SASL engine: PLAIN and LOGIN steps, the registry and the response framing.
#include "auth/proto/auth_sasl.hpp"

#include <gtest/gtest.h>

#include "base/base64.hpp"

namespace estafeta::auth {
namespace {

using namespace std::string_literals;

SaslStep run(SaslMechanism& m, std::string_view response) {
  return m.step(response);
}

const SaslDone& done(const SaslStep& s) {
  EXPECT_TRUE(std::holds_alternative<SaslDone>(s));
  static const SaslDone none;
  auto* d = std::get_if<SaslDone>(&s);
  return d ? *d : none;
}

SaslFail::Kind fail_kind(const SaslStep& s) {
  EXPECT_TRUE(std::holds_alternative<SaslFail>(s));
  auto* f = std::get_if<SaslFail>(&s);
  return f ? f->kind : SaslFail::Kind::malformed;
}

TEST(SaslPlain, ThreeFields) {
  auto m = make_sasl_plain({});
  EXPECT_EQ(m->name(), "PLAIN");
  EXPECT_EQ(m->initial_challenge(), "");
  EXPECT_TRUE(m->plaintext());
  SaslStep s = run(*m, "\0alice@example.org\0secret"s);
  EXPECT_EQ(done(s).authzid, "");
  EXPECT_EQ(done(s).authcid, "alice@example.org");
  EXPECT_EQ(done(s).secret, "secret");
}

TEST(SaslPlain, AuthzidDifferentFromAuthcidIsReported) {
  auto m = make_sasl_plain({});
  SaslStep s = run(*m, "bob@example.org\0alice@example.org\0pw"s);
  EXPECT_EQ(done(s).authzid, "bob@example.org");
  EXPECT_EQ(done(s).authcid, "alice@example.org");
}

TEST(SaslPlain, NulCountsAndEmptyFields) {
  EXPECT_EQ(fail_kind(make_sasl_plain({})->step("alice")), SaslFail::Kind::malformed);
  EXPECT_EQ(fail_kind(make_sasl_plain({})->step("\0alice"s)), SaslFail::Kind::malformed);
  EXPECT_EQ(fail_kind(make_sasl_plain({})->step("\0a\0b\0c"s)), SaslFail::Kind::malformed);
  EXPECT_EQ(fail_kind(make_sasl_plain({})->step("")), SaslFail::Kind::malformed);
  EXPECT_EQ(fail_kind(make_sasl_plain({})->step("\0\0pw"s)), SaslFail::Kind::rejected);
  EXPECT_EQ(fail_kind(make_sasl_plain({})->step("\0alice\0"s)), SaslFail::Kind::rejected);
}

TEST(SaslPlain, OverlongAndSecondStep) {
  std::string big = "\0alice\0"s + std::string(kMaxSaslResponse, 'p');
  EXPECT_EQ(fail_kind(make_sasl_plain({})->step(big)), SaslFail::Kind::malformed);
  auto m = make_sasl_plain({});
  done(m->step("\0a\0b"s));
  EXPECT_EQ(fail_kind(m->step("\0a\0b"s)), SaslFail::Kind::malformed);
}

TEST(SaslLogin, TwoSteps) {
  auto m = make_sasl_login({});
  EXPECT_EQ(m->initial_challenge(), "Username:");
  SaslStep s = m->step("alice@example.org");
  ASSERT_TRUE(std::holds_alternative<SaslContinue>(s));
  EXPECT_EQ(std::get<SaslContinue>(s).challenge, "Password:");
  s = m->step("secret");
  EXPECT_EQ(done(s).authcid, "alice@example.org");
  EXPECT_EQ(done(s).secret, "secret");
  EXPECT_EQ(done(s).authzid, "");
  EXPECT_EQ(fail_kind(m->step("again")), SaslFail::Kind::malformed);
}

TEST(SaslLogin, EmptyOrNulIsRejected) {
  for (auto [user, pass] :
       {std::pair{""s, "pw"s}, {"alice"s, ""s}, {"al\0ice"s, "pw"s}, {"alice"s, "p\0w"s}}) {
    auto m = make_sasl_login({});
    ASSERT_TRUE(std::holds_alternative<SaslContinue>(m->step(user)));
    EXPECT_EQ(fail_kind(m->step(pass)), SaslFail::Kind::rejected) << user << "/" << pass;
  }
}

TEST(SaslLogin, Overlong) {
  auto m = make_sasl_login({});
  EXPECT_EQ(fail_kind(m->step(std::string(kMaxSaslResponse + 1, 'u'))), SaslFail::Kind::malformed);
  EXPECT_EQ(fail_kind(m->step("x")), SaslFail::Kind::malformed);  // over
  auto m2 = make_sasl_login({});
  m2->step("alice");
  EXPECT_EQ(fail_kind(m2->step(std::string(kMaxSaslResponse + 1, 'p'))), SaslFail::Kind::malformed);
}

TEST(SaslLogin, UserNameWithLineBreaksIsPassedOnVerbatim) {
  // The engine does not judge names; the log escapes them (auth_login_throttle, base/log).
  auto m = make_sasl_login({});
  m->step("evil\r\n2026-01-01 fake line");
  EXPECT_EQ(done(m->step("pw")).authcid, "evil\r\n2026-01-01 fake line");
}

TEST(SaslRegistry, StandardByNameCaseInsensitive) {
  const SaslRegistry& r = SaslRegistry::standard();
  EXPECT_EQ(r.advertised(), "PLAIN LOGIN");
  SaslContext ctx{true, "tls-exporter", std::string(32, 'x')};
  ASSERT_NE(r.create("plain", ctx), nullptr);
  EXPECT_EQ(r.create("Login", ctx)->name(), "LOGIN");
  EXPECT_EQ(r.create("CRAM-MD5", ctx), nullptr);
  EXPECT_TRUE(r.contains("PLAIN"));
  EXPECT_FALSE(r.contains("SCRAM-SHA-256"));
}

// A multi-step mechanism with channel binding, as SCRAM-*-PLUS will be: the interface carries
// the context to the mechanism and the mechanism's own rounds.
class EchoBinding final : public SaslMechanism {
 public:
  explicit EchoBinding(const SaslContext& c) : binding_(c.channel_binding) {}
  std::string_view name() const override { return "X-BIND"; }
  std::string initial_challenge() override { return ""; }
  bool plaintext() const override { return false; }
  SaslStep step(std::string_view r) override {
    if (round_++ == 0) return SaslContinue{"nonce"};
    if (r != binding_) return SaslFail{SaslFail::Kind::rejected, "channel binding mismatch"};
    return SaslDone{"", "alice", "proof"};
  }

 private:
  std::string binding_;
  int round_ = 0;
};

TEST(SaslRegistry, MultiStepWithChannelBinding) {
  SaslRegistry r;
  r.add("X-BIND", [](const SaslContext& c) { return std::make_unique<EchoBinding>(c); });
  SaslContext ctx{true, "tls-exporter", "\x01\x02"s};
  auto m = r.create("x-bind", ctx);
  ASSERT_TRUE(std::holds_alternative<SaslContinue>(m->step("client-first")));
  EXPECT_EQ(done(m->step("\x01\x02"s)).secret, "proof");
  auto m2 = r.create("X-BIND", ctx);
  m2->step("");
  EXPECT_EQ(fail_kind(m2->step("other")), SaslFail::Kind::rejected);
}

TEST(SaslFraming, Challenge) {
  EXPECT_EQ(frame_challenge("334 ", ""), "334 \r\n");
  EXPECT_EQ(frame_challenge("334 ", "Username:"), "334 VXNlcm5hbWU6\r\n");
  EXPECT_EQ(frame_challenge("+ ", "Password:"), "+ UGFzc3dvcmQ6\r\n");
}

TEST(SaslFraming, Responses) {
  EXPECT_EQ(decode_response("*").kind, SaslResponse::Kind::cancel);
  SaslResponse eq = decode_response("=");
  EXPECT_EQ(eq.kind, SaslResponse::Kind::data);
  EXPECT_EQ(eq.data, "");
  SaslResponse ok = decode_response("AGFsaWNlAHB3");
  EXPECT_EQ(ok.kind, SaslResponse::Kind::data);
  EXPECT_EQ(ok.data, "\0alice\0pw"s);
  for (std::string_view bad :
       {"", "AGFsaWNlAHB", "AGFs aWNl", "AGFsaWNl=AHB3", "!!!!", "**", "==", "AGFsaWNlAHB3\r"}) {
    EXPECT_EQ(decode_response(bad).kind, SaslResponse::Kind::malformed) << bad;
  }
}

TEST(SaslFraming, OverlongIsRefusedUndecoded) {
  std::string just = base64::encode(std::string(kMaxSaslResponse, 'a'));
  EXPECT_EQ(decode_response(just).kind, SaslResponse::Kind::data);
  std::string over = base64::encode(std::string(kMaxSaslResponse + 1, 'a'));
  EXPECT_EQ(decode_response(over).kind, SaslResponse::Kind::malformed);
  EXPECT_EQ(decode_response(std::string(1 << 20, 'A')).kind, SaslResponse::Kind::malformed);
}

// Any split of an exchange: LOGIN fed by the framing a line at a time gives the same result
// whatever the client's base64 padding of each line was.
TEST(SaslFraming, LoginOverFramedLines) {
  auto m = make_sasl_login({});
  std::string out = frame_challenge("+ ", m->initial_challenge());
  EXPECT_EQ(out, "+ VXNlcm5hbWU6\r\n");
  SaslResponse u = decode_response(base64::encode("alice"));
  ASSERT_EQ(u.kind, SaslResponse::Kind::data);
  SaslStep s = m->step(u.data);
  ASSERT_TRUE(std::holds_alternative<SaslContinue>(s));
  SaslResponse p = decode_response(base64::encode("pw"));
  EXPECT_EQ(done(m->step(p.data)).secret, "pw");
}

TEST(SaslWipe, ZeroesInPlace) {
  std::string s = "secret";
  wipe(s);
  EXPECT_EQ(s, std::string(6, '\0'));
}

}  // namespace
}  // namespace estafeta::auth
