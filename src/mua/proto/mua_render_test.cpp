// mua_render_test: the text and JSON output of the reading commands: columns cut by
// characters, sizes, the page footer, JSON escaping and field names.
#include "mua/proto/mua_render.hpp"

#include <gtest/gtest.h>

namespace estafeta::mua {
namespace {

TEST(MuaRender, ColumnsAndSizes) {
  EXPECT_EQ(fit_columns("abc", 5), "abc  ");
  EXPECT_EQ(fit_columns("abcdef", 3), "abc");
  EXPECT_EQ(fit_columns("\xc3\xbc\xc3\xbc\xc3\xbc", 2), "\xc3\xbc\xc3\xbc");
  EXPECT_EQ(fit_columns("\xe2\x82\xac", 2), "\xe2\x82\xac ");
  EXPECT_EQ(human_size(999), "999");
  EXPECT_EQ(human_size(1536), "1.5K");
  EXPECT_EQ(human_size(3 * 1024 * 1024), "3.0M");
  EXPECT_EQ(page_count(0, 20), 0u);
  EXPECT_EQ(page_count(41, 20), 3u);
}

TEST(MuaRender, PageTextAndJson) {
  MessageRow r;
  r.uid = 42;
  r.flags = {"\\Flagged"};
  r.size = 2048;
  r.internal_date = "02-Dec-2026 09:00:00 +0000";
  r.header.from = {"Al \"x\"", "al@example.test"};
  r.header.subject = "hi";
  r.header.date = "2026-12-02 09:00";
  r.header.date_unix = 1796202000;
  PageInfo p;
  p.mailbox = "INBOX";
  p.total = 3;
  p.page = 2;
  p.page_size = 2;
  const std::string text = render_page_text(p, {r});
  EXPECT_NE(text.find("    42  2026-12-02 09:00"), std::string::npos) << text;
  EXPECT_NE(text.find("NF"), std::string::npos) << text;
  EXPECT_NE(text.find("INBOX: page 2 of 2, messages 3-3 of 3 (newest first)"), std::string::npos)
      << text;
  const std::string json = render_page_json(p, {r});
  EXPECT_NE(json.find("\"from\":\"Al \\\"x\\\" <al@example.test>\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"date\":\"2026-12-02T09:00:00+00:00\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"seen\":false,\"flagged\":true"), std::string::npos) << json;
  EXPECT_NE(json.find("\"pages\":2"), std::string::npos);
  p.page = 5;
  EXPECT_EQ(render_page_text(p, {}), "INBOX: page 5 is past the last page (2, 3 messages)\n");
  p.total = 0;
  EXPECT_EQ(render_page_text(p, {}), "no messages in INBOX\n");
  p.query = "x";
  EXPECT_EQ(render_page_text(p, {}), "no messages in INBOX match x\n");
}

TEST(MuaRender, MailboxesAndMessage) {
  MailboxRow inbox{"INBOX", "inbox", {"\\HasNoChildren"}, '/', true, 3, 1};
  MailboxRow parent{"Lists", "", {"\\Noselect"}, '/', false, std::nullopt, std::nullopt};
  const std::string text = render_mailboxes_text({inbox, parent});
  EXPECT_NE(text.find("INBOX    inbox            3       1"), std::string::npos) << text;
  EXPECT_NE(text.find("(not selectable)"), std::string::npos);
  const std::string json = render_mailboxes_json({inbox, parent});
  EXPECT_NE(json.find("{\"name\":\"Lists\",\"role\":null"), std::string::npos) << json;
  EXPECT_NE(json.find("\"messages\":null,\"unseen\":null"), std::string::npos);

  MessageView v;
  v.from = {{"A", "a@x"}};
  v.subject = "s";
  v.text = "body";
  v.text_source = "text/html";
  v.attachments.push_back({1, 3, "", "attachment-1.bin", "application/octet-stream", 10});
  ReadInfo info;
  info.uid = 5;
  info.security_lines = {"S/MIME: signed"};
  const std::string t = render_message_text(info, v);
  EXPECT_NE(t.find("From: A <a@x>\nSubject: s\nS/MIME: signed\n\n[HTML message shown as text]"),
            std::string::npos)
      << t;
  EXPECT_NE(t.find("1. (no name) -> attachment-1.bin (application/octet-stream, 10)"),
            std::string::npos);
  info.security_json = "{\"signed\":true}";
  const std::string j = render_message_json(info, v);
  EXPECT_NE(j.find(",\"smime\":{\"signed\":true}}"), std::string::npos) << j;
}

TEST(MuaRender, ServerTextCannotDriveTheTerminal) {
  MailboxRow evil{"Evil\x1b]0;owned\x07\r\nBox", "", {}, '/', true, 1, 0};
  const std::string text = render_mailboxes_text({evil});
  EXPECT_EQ(text.find('\x1b'), std::string::npos) << text;
  EXPECT_EQ(text.find('\x07'), std::string::npos);
  EXPECT_NE(text.find("Evil]0;owned Box"), std::string::npos) << text;
  EXPECT_EQ(terminal_line("a\xc2\x9b"
                          "31mb\tc\xff"),
            "a31mb c\xef\xbf\xbd");
}

}  // namespace
}  // namespace estafeta::mua
