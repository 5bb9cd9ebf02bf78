// Tests of mime_imap_envelope: Dovecot-compatible ENVELOPE output.
#include "mime/mime_imap_envelope.hpp"

#include <gtest/gtest.h>

#include "mime/mime_parser.hpp"

namespace estafeta::mime {
namespace {

std::string env(std::string_view msg) {
  return imap_envelope(parse(msg));
}

TEST(ImapEnvelope, Empty) {
  EXPECT_EQ(env("\r\nbody"), "NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL");
}

TEST(ImapEnvelope, Full) {
  std::string msg =
      "Date: Tue, 1 Jul 2003 10:52:37 +0200\r\n"
      "Subject: =?utf-8?q?caf=C3=A9?=\r\n  and  more\r\n"
      "From: \"Doe, John\" <john@example.org>\r\n"
      "To: a@example.org, Group: b@example.org, <c@example.org>;\r\n"
      "Cc: (comment) d@example.org (Dee)\r\n"
      "In-Reply-To: <x@y>\r\n"
      "Message-ID: <id@example.org>\r\n\r\n";
  EXPECT_EQ(
      env(msg),
      "\"Tue, 1 Jul 2003 10:52:37 +0200\" {30}\r\n=?utf-8?q?caf=C3=A9?= and more "
      "((\"Doe, John\" NIL \"john\" \"example.org\")) ((\"Doe, John\" NIL \"john\" "
      "\"example.org\")) "
      "((\"Doe, John\" NIL \"john\" \"example.org\")) "
      "((NIL NIL \"a\" \"example.org\")(NIL NIL \"Group\" NIL)(NIL NIL \"b\" \"example.org\")"
      "(NIL NIL \"c\" \"example.org\")(NIL NIL NIL NIL)) ((\"Dee\" NIL \"d\" \"example.org\")) NIL "
      "\"<x@y>\" \"<id@example.org>\"");
}

TEST(ImapEnvelope, SenderAndReplyToOverride) {
  std::string msg = "From: a@x\r\nSender: b@x\r\nReply-To: c@x\r\n\r\n";
  EXPECT_EQ(env(msg),
            "NIL NIL ((NIL NIL \"a\" \"x\")) ((NIL NIL \"b\" \"x\")) ((NIL NIL \"c\" \"x\")) NIL "
            "NIL NIL NIL NIL");
}

TEST(ImapEnvelope, MissingPartsFilled) {
  std::string msg = "From: user\r\nTo: Some Name\r\nCc: <@route.example:u@d>\r\n\r\n";
  EXPECT_EQ(
      env(msg),
      "NIL NIL ((NIL NIL \"user\" \"MISSING_DOMAIN\")) ((NIL NIL \"user\" \"MISSING_DOMAIN\")) "
      "((NIL NIL \"user\" \"MISSING_DOMAIN\")) ((\"Some Name\" NIL \"MISSING_MAILBOX\" "
      "\"MISSING_DOMAIN\")) "
      "((NIL \"@route.example\" \"u\" \"d\")) NIL NIL NIL");
}

TEST(ImapEnvelope, DovecotMarkers) {
  EXPECT_EQ(env("To: Name <a@b, c@d\r\nCc: <@r.example u@d>\r\n\r\n"),
            "NIL NIL NIL NIL NIL ((\"Name\" NIL \"a\" \"SYNTAX_ERROR\")(NIL NIL \"c\" \"d\")) "
            "((NIL \"INVALID_ROUTE\" \"u\" \"d\")) NIL NIL NIL");
}

TEST(ImapEnvelope, RepeatedFieldsLikeDovecot) {
  std::string msg = "Subject: first\r\nFrom: a@x\r\nSubject: second\r\nFrom: b@y\r\n\r\n";
  EXPECT_EQ(env(msg),
            "NIL \"second\" ((NIL NIL \"a\" \"x\")(NIL NIL \"b\" \"y\")) ((NIL NIL \"a\" "
            "\"x\")(NIL NIL \"b\" \"y\")) "
            "((NIL NIL \"a\" \"x\")(NIL NIL \"b\" \"y\")) NIL NIL NIL NIL NIL");
}

}  // namespace
}  // namespace estafeta::mime
