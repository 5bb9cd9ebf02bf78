// mime_dsn_test: delivery status notifications parse as multipart/report (RFC 6522) with the
// RFC 3464 fields in the right places, RET=FULL vs HDRS, size cap, delays, UTF-8 addresses
// (RFC 6533), and peer diagnostic text that cannot break the report.
#include "mime/mime_dsn.hpp"

#include <gtest/gtest.h>

#include <string>

#include "mime/mime_parser.hpp"
#include "mime/mime_rfc2231.hpp"

namespace estafeta::mime {
namespace {

using namespace std::chrono_literals;
const auto kArrived = std::chrono::system_clock::time_point(1795835849s);

const std::string kOriginal =
    "From: Alice <alice@example.org>\r\n"
    "To: bob@example.net\r\n"
    "Subject: lunch\r\n"
    "Message-ID: <m1@example.org>\r\n"
    "\r\n"
    "Body line one\r\n"
    "--not-a-boundary\r\n";

DsnReport failed_report() {
  DsnReport r;
  r.reporting_mta = "mx.example.org";
  r.postmaster = "MAILER-DAEMON@mx.example.org";
  r.recipient = "alice@example.org";
  r.original_envelope_id = "ENV+31+323";  // xtext for "ENV123"
  r.arrival_date = kArrived;
  r.original_message = kOriginal;
  r.original_message_id = "m1@example.org";
  r.date = kArrived + 60s;
  r.message_id = "dsn1@mx.example.org";
  DsnRecipient rc;
  rc.final_recipient = "bob@example.net";
  rc.original_recipient = "rfc822;bob+2Btag@example.net";
  rc.action = DsnAction::failed;
  rc.status = "5.1.1";
  rc.remote_mta = "mx.example.net";
  rc.diagnostic_code = "550 5.1.1 <bob@example.net>: user unknown";
  rc.last_attempt = kArrived + 30s;
  r.recipients.push_back(rc);
  return r;
}

std::string lower(std::string_view s) {
  std::string o(s);
  for (auto& c : o) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return o;
}

std::string top_field(const Message& m, std::string_view name) {
  const HeaderField* f = m.find_field(m.root(), name);
  if (f == nullptr) return "<absent>";
  std::string v(f->value);
  while (!v.empty() && (v.back() == '\r' || v.back() == '\n')) v.pop_back();
  return v;
}

}  // namespace

TEST(MimeDsn, FailureReportStructure) {
  std::string dsn = build_dsn(failed_report());
  Message m = parse(dsn);
  const Part& root = m.root();
  ASSERT_EQ(root.kind, PartKind::multipart);
  EXPECT_EQ(lower(root.type), "multipart");
  EXPECT_EQ(lower(root.subtype), "report");
  auto params = parse_parameters(root.content_type_params);
  ASSERT_NE(find_parameter(params, "report-type"), nullptr);
  EXPECT_EQ(find_parameter(params, "report-type")->value, "delivery-status");
  ASSERT_EQ(root.child_count, 3u);
  EXPECT_EQ(top_field(m, "Subject"), "Delivery Status Notification (Failure)");
  EXPECT_EQ(top_field(m, "Auto-Submitted"), "auto-replied");
  EXPECT_EQ(top_field(m, "To"), "<alice@example.org>");
  EXPECT_EQ(top_field(m, "From"), "Mail Delivery System <MAILER-DAEMON@mx.example.org>");
  EXPECT_EQ(top_field(m, "In-Reply-To"), "<m1@example.org>");
  EXPECT_EQ(top_field(m, "Message-ID"), "<dsn1@mx.example.org>");
  EXPECT_EQ(top_field(m, "Date"), "Sat, 28 Nov 2026 03:18:29 +0000");

  const Part& human = m.parts[m.child(0, 1)];
  EXPECT_EQ(lower(human.subtype), "plain");
  std::string text(m.body_bytes(human));
  EXPECT_NE(text.find("<bob@example.net>"), std::string::npos);
  EXPECT_NE(text.find("user unknown"), std::string::npos);
  EXPECT_NE(text.find("permanent"), std::string::npos);

  const Part& status = m.parts[m.child(0, 2)];
  EXPECT_EQ(lower(status.type), "message");
  EXPECT_EQ(lower(status.subtype), "delivery-status");
  std::string s(m.body_bytes(status));
  // RFC 3464 §2.2 order: Original-Envelope-Id, Reporting-MTA, Arrival-Date.
  EXPECT_EQ(s.find("Original-Envelope-Id: ENV123\r\nReporting-MTA: dns; mx.example.org\r\n"
                   "Arrival-Date: "),
            0u);
  EXPECT_NE(s.find("Arrival-Date: Sat, 28 Nov 2026 03:17:29 +0000\r\n"), std::string::npos);
  // Per-recipient block after an empty line (RFC 3464 §2.1).
  auto block = s.find("\r\n\r\n");
  ASSERT_NE(block, std::string::npos);
  std::string rcpt = s.substr(block + 4);
  EXPECT_NE(rcpt.find("Original-Recipient: rfc822; bob+tag@example.net\r\n"), std::string::npos);
  EXPECT_NE(rcpt.find("Final-Recipient: rfc822; bob@example.net\r\n"), std::string::npos);
  EXPECT_NE(rcpt.find("Action: failed\r\n"), std::string::npos);
  EXPECT_NE(rcpt.find("Status: 5.1.1\r\n"), std::string::npos);
  EXPECT_NE(rcpt.find("Remote-MTA: dns; mx.example.net\r\n"), std::string::npos);
  EXPECT_NE(rcpt.find("Diagnostic-Code: smtp; 550 5.1.1 <bob@example.net>: user unknown\r\n"),
            std::string::npos);
  EXPECT_NE(rcpt.find("Last-Attempt-Date: Sat, 28 Nov 2026 03:17:59 +0000"), std::string::npos);

  // RET=HDRS (default): only the header of the original.
  const Part& orig = m.parts[m.child(0, 3)];
  EXPECT_EQ(lower(orig.type), "text");
  EXPECT_EQ(lower(orig.subtype), "rfc822-headers");
  std::string hdrs(m.body_bytes(orig));
  EXPECT_NE(hdrs.find("Subject: lunch"), std::string::npos);
  EXPECT_EQ(hdrs.find("Body line one"), std::string::npos);
}

TEST(MimeDsn, ReturnFullMessage) {
  DsnReport r = failed_report();
  r.return_full = true;
  std::string dsn = build_dsn(r);
  Message m = parse(dsn);
  ASSERT_EQ(m.root().child_count, 3u);
  const Part& orig = m.parts[m.child(0, 3)];
  EXPECT_EQ(lower(orig.type), "message");
  EXPECT_EQ(lower(orig.subtype), "rfc822");
  EXPECT_EQ(orig.kind, PartKind::message);
  std::string body(m.body_bytes(orig));
  EXPECT_EQ(body + "\r\n", kOriginal);  // the final CRLF belongs to the close delimiter
  // Too big: cut to the header.
  r.max_returned_size = 10;
  std::string cut_dsn = build_dsn(r);
  Message cut = parse(cut_dsn);
  EXPECT_EQ(lower(cut.parts[cut.child(0, 3)].subtype), "rfc822-headers");
}

TEST(MimeDsn, DelayReport) {
  DsnReport r = failed_report();
  r.recipients[0].action = DsnAction::delayed;
  r.recipients[0].status = "4.4.1";
  r.recipients[0].will_retry_until = kArrived + 5 * 24h;
  std::string dsn = build_dsn(r);
  Message m = parse(dsn);
  EXPECT_EQ(top_field(m, "Subject"), "Delivery Status Notification (Delay)");
  std::string s(m.body_bytes(m.parts[m.child(0, 2)]));
  EXPECT_NE(s.find("Action: delayed\r\n"), std::string::npos);
  EXPECT_NE(s.find("Will-Retry-Until: Thu, 3 Dec 2026 03:17:29 +0000"), std::string::npos);
  std::string text(m.body_bytes(m.parts[m.child(0, 1)]));
  EXPECT_NE(text.find("will keep trying"), std::string::npos);
}

TEST(MimeDsn, MixedRecipientsAndDefaults) {
  DsnReport r = failed_report();
  DsnRecipient ok;
  ok.final_recipient = "carol@example.net";
  ok.action = DsnAction::delivered;
  r.recipients.push_back(ok);
  r.original_envelope_id.clear();
  r.arrival_date = {};
  std::string dsn = build_dsn(r);
  Message m = parse(dsn);
  std::string s(m.body_bytes(m.parts[m.child(0, 2)]));
  EXPECT_EQ(s.find("Original-Envelope-Id"), std::string::npos);
  EXPECT_EQ(s.find("Arrival-Date"), std::string::npos);
  EXPECT_NE(
      s.find("Final-Recipient: rfc822; carol@example.net\r\nAction: delivered\r\nStatus: 2.0.0"),
      std::string::npos);
  EXPECT_EQ(top_field(m, "Subject"), "Delivery Status Notification (Failure)");
}

TEST(MimeDsn, PeerDiagnosticCannotInjectFields) {
  DsnReport r = failed_report();
  r.recipients[0].diagnostic_code = "550 no\r\nAction: delivered\r\n\r\n--x\x01\xff";
  std::string dsn = build_dsn(r);
  Message m = parse(dsn);
  ASSERT_EQ(m.root().child_count, 3u);
  std::string s(m.body_bytes(m.parts[m.child(0, 2)]));
  EXPECT_EQ(s.find("\r\nAction: delivered"), std::string::npos);
  EXPECT_NE(s.find("Diagnostic-Code: smtp; 550 no Action: delivered --x??"), std::string::npos);
}

TEST(MimeDsn, LongDiagnosticIsFolded) {
  DsnReport r = failed_report();
  r.recipients[0].diagnostic_code = "550 5.7.1";
  for (int i = 0; i < 30; ++i)
    r.recipients[0].diagnostic_code += " policy-word-" + std::to_string(i);
  std::string dsn = build_dsn(r);
  std::size_t start = 0;
  while (start < dsn.size()) {
    auto end = dsn.find("\r\n", start);
    if (end == std::string::npos) break;
    EXPECT_LE(end - start, 998u);
    start = end + 2;
  }
  auto pos = dsn.find("Diagnostic-Code:");
  ASSERT_NE(pos, std::string::npos);
  EXPECT_LE(dsn.find("\r\n", pos) - pos, 78u);
}

TEST(MimeDsn, Utf8AddressesUseGlobalTypes) {
  DsnReport r = failed_report();
  r.recipients[0].final_recipient = "j\xC3\xB6rg@example.de";
  r.recipients[0].original_recipient.clear();
  r.original_message = "Subject: caf\xC3\xA9\r\n\r\nbody\r\n";
  std::string dsn = build_dsn(r);
  Message m = parse(dsn);
  const Part& status = m.parts[m.child(0, 2)];
  EXPECT_EQ(lower(status.subtype), "global-delivery-status");
  std::string s(m.body_bytes(status));
  EXPECT_NE(s.find("Final-Recipient: utf-8; j\xC3\xB6rg@example.de"), std::string::npos);
  EXPECT_EQ(lower(m.parts[m.child(0, 3)].subtype), "global-headers");
}

TEST(MimeDsn, HeaderBlock) {
  EXPECT_EQ(message_header_block("A: b\r\n\r\nbody"), "A: b\r\n\r\n");
  EXPECT_EQ(message_header_block("A: b\n\nbody"), "A: b\n\n");
  EXPECT_EQ(message_header_block("A: b\r\nC: d\r\n"), "A: b\r\nC: d\r\n");
  EXPECT_EQ(message_header_block("\r\nbody"), "\r\n");
  EXPECT_EQ(message_header_block(""), "");
  EXPECT_EQ(dsn_action_name(DsnAction::expanded), "expanded");
}

}  // namespace estafeta::mime
