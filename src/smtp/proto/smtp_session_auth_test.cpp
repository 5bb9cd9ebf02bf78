// smtp_session_auth_test: AUTH on the SASL engine: the tri-state answer (235 / 535 / 454),
// the throttle's refusal, AUTH switched off on the MX listener, the SASL framing (split
// responses, "=" and "*", overlong responses) and that no exchange state survives an abort.
#include <gtest/gtest.h>

#include <string>

#include "smtp/proto/smtp_server_session.hpp"
#include "smtp/proto/smtp_test_harness.hpp"

namespace estafeta::smtp {
namespace {

using testing::Harness;
using testing::mx_info;

// "\0alice@example.org\0secret"
constexpr const char* kAlicePlain = "AGFsaWNlQGV4YW1wbGUub3JnAHNlY3JldA==";

SessionInfo tls_info(ListenerMode mode = ListenerMode::submission) {
  SessionInfo info = mx_info();
  info.mode = mode;
  info.tls_active = true;
  return info;
}

std::string send(Harness& h, std::string_view line) {
  h.feed(std::string(line) + "\r\n");
  return h.take();
}

// A session waiting for the answer to Authenticate (not answered by the harness).
Harness& awaiting(Harness& h) {
  h.start();
  send(h, "EHLO c.example");
  h.answer_requests = false;
  EXPECT_EQ(send(h, std::string("AUTH PLAIN ") + kAlicePlain), "");
  EXPECT_EQ(h.pending.size(), 1u);
  h.pending.clear();
  return h;
}

TEST(SessionAuth, TemporaryFailureIs454AndNotCounted) {
  Limits limits;
  limits.max_auth_failures = 1;
  Harness h(tls_info(), limits);
  awaiting(h);
  h.session.auth_result(AuthResult{AuthResult::Status::temporary_failure, ""});
  h.drain();
  EXPECT_EQ(h.take(), "454 4.7.0 Temporary authentication failure\r\n");
  EXPECT_FALSE(h.session.closed());
  h.answer_requests = true;
  EXPECT_EQ(send(h, std::string("AUTH PLAIN ") + kAlicePlain),
            "235 2.7.0 Authentication successful\r\n");
}

TEST(SessionAuth, ThrottledIs454AndCounted) {
  Limits limits;
  limits.max_auth_failures = 2;
  Harness h(tls_info(), limits);
  awaiting(h);
  h.session.auth_result(AuthResult{AuthResult::Status::throttled, ""});
  h.drain();
  EXPECT_EQ(h.take(), "454 4.7.0 Too many failed logins, try again later\r\n");
  send(h, std::string("AUTH PLAIN ") + kAlicePlain);
  h.pending.clear();
  h.session.auth_result(AuthResult{AuthResult::Status::throttled, ""});
  h.drain();
  EXPECT_EQ(h.take(),
            "454 4.7.0 Too many failed logins, try again later\r\n"
            "421 4.7.0 mx.example.org Error: too many authentication failures\r\n");
  EXPECT_TRUE(h.session.closed());
}

TEST(SessionAuth, OkAndInvalidThroughTheNewAnswer) {
  Harness h(tls_info());
  awaiting(h);
  h.session.auth_result(AuthResult{AuthResult::Status::invalid, ""});
  h.drain();
  EXPECT_EQ(h.take(), "535 5.7.8 Authentication credentials invalid\r\n");
  send(h, std::string("AUTH PLAIN ") + kAlicePlain);
  h.pending.clear();
  h.session.auth_result(AuthResult{AuthResult::Status::ok, "alice@example.org"});
  h.drain();
  EXPECT_EQ(h.take(), "235 2.7.0 Authentication successful\r\n");
  EXPECT_TRUE(h.session.authenticated());
}

TEST(SessionAuth, NotOfferedOnMxUnlessAsked) {
  SessionInfo info = tls_info(ListenerMode::mx);
  info.offer_auth = false;
  Harness h(info);
  h.start();
  EXPECT_EQ(send(h, "EHLO c.example").find("AUTH"), std::string::npos);
  EXPECT_EQ(send(h, std::string("AUTH PLAIN ") + kAlicePlain),
            "503 5.5.1 Error: authentication not enabled\r\n");
  EXPECT_EQ(send(h, "AUTH LOGIN"), "503 5.5.1 Error: authentication not enabled\r\n");
  EXPECT_EQ(send(h, "NOOP"), "250 2.0.0 Ok\r\n");

  Harness on(tls_info(ListenerMode::mx));  // offer_auth defaults to true
  on.start();
  EXPECT_NE(send(on, "EHLO c.example").find("250-AUTH PLAIN LOGIN\r\n"), std::string::npos);
}

TEST(SessionAuth, LoginSplitAtEveryOctet) {
  const std::string dialogue = "AUTH LOGIN\r\nYWxpY2VAZXhhbXBsZS5vcmc=\r\nc2VjcmV0\r\n";
  for (std::size_t cut = 0; cut <= dialogue.size(); ++cut) {
    Harness h(tls_info());
    h.start();
    send(h, "EHLO c.example");
    h.feed(dialogue.substr(0, cut));
    h.feed(dialogue.substr(cut));
    EXPECT_EQ(h.take(),
              "334 VXNlcm5hbWU6\r\n334 UGFzc3dvcmQ6\r\n235 2.7.0 Authentication successful\r\n")
        << cut;
  }
}

TEST(SessionAuth, EmptyResponseAndCancel) {
  Harness h(tls_info());
  h.start();
  send(h, "EHLO c.example");
  EXPECT_EQ(send(h, "AUTH PLAIN ="), "501 5.5.2 Invalid PLAIN response\r\n");
  EXPECT_EQ(send(h, "AUTH LOGIN"), "334 VXNlcm5hbWU6\r\n");
  EXPECT_EQ(send(h, "="), "334 UGFzc3dvcmQ6\r\n");
  EXPECT_EQ(send(h, "c2VjcmV0"), "535 5.7.8 Authentication credentials invalid\r\n");
  EXPECT_EQ(send(h, "AUTH PLAIN *"), "501 5.5.2 Cannot decode response\r\n");
  EXPECT_EQ(send(h, "AUTH LOGIN YWxpY2VAZXhhbXBsZS5vcmc="), "334 UGFzc3dvcmQ6\r\n");
  EXPECT_EQ(send(h, "*"), "501 5.0.0 Authentication cancelled\r\n");
  // Nothing of the cancelled exchange is left: a new one starts from the user name.
  EXPECT_EQ(send(h, "AUTH LOGIN"), "334 VXNlcm5hbWU6\r\n");
  EXPECT_EQ(send(h, "YWxpY2VAZXhhbXBsZS5vcmc="), "334 UGFzc3dvcmQ6\r\n");
  EXPECT_EQ(send(h, "c2VjcmV0"), "235 2.7.0 Authentication successful\r\n");
}

TEST(SessionAuth, OverlongResponseIsRefusedWithoutState) {
  Limits limits;
  limits.max_command_line = 65536;
  Harness h(tls_info(), limits);
  h.start();
  send(h, "EHLO c.example");
  EXPECT_EQ(send(h, "AUTH LOGIN"), "334 VXNlcm5hbWU6\r\n");
  EXPECT_EQ(send(h, std::string(8000, 'Q')), "501 5.5.2 Cannot decode response\r\n");
  EXPECT_EQ(send(h, "NOOP"), "250 2.0.0 Ok\r\n");
}

TEST(SessionAuth, BadLineInsideTheExchangeEndsIt) {
  Harness h(tls_info());
  h.start();
  send(h, "EHLO c.example");
  EXPECT_EQ(send(h, "AUTH LOGIN"), "334 VXNlcm5hbWU6\r\n");
  h.feed("YWxpY2U=\n");  // bare LF
  EXPECT_EQ(h.take(), "500 5.5.2 Bare LF in command; lines must end with CRLF\r\n");
  EXPECT_EQ(send(h, "c2VjcmV0"), "500 5.5.2 Error: command not recognized\r\n");
}

}  // namespace
}  // namespace estafeta::smtp
