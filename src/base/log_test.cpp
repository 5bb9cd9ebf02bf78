// Tests of the logger: every control character in a message is escaped, so one call writes
// exactly one line whatever the message holds.
#include "base/log.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

namespace estafeta::log {
namespace {

using namespace std::string_literals;

TEST(Log, EscapeControls) {
  EXPECT_EQ(escape_controls("plain text, caf\xc3\xa9"), "plain text, caf\xc3\xa9");
  EXPECT_EQ(escape_controls("a\r\nb"), "a\\x0d\\x0ab");
  EXPECT_EQ(escape_controls("\0\t\x1b[31m\x7f"s), "\\x00\\x09\\x1b[31m\\x7f");
  EXPECT_EQ(escape_controls("\\x0a stays as typed"), "\\x0a stays as typed");
}

TEST(Log, OneCallIsOneLine) {
  testing::internal::CaptureStderr();
  info("auth", "auth failed: user=\"{}\"", "evil\r\n2026-01-01T00:00:00.000Z info auth: forged");
  write(Level::error, "x\ny", "tab\there\x7f");
  std::string out = testing::internal::GetCapturedStderr();
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 2);
  EXPECT_EQ(out.find('\r'), std::string::npos);
  EXPECT_NE(out.find("user=\"evil\\x0d\\x0a2026-01-01T00:00:00.000Z info auth: forged\"\n"),
            std::string::npos);
  EXPECT_NE(out.find("error x\\x0ay: tab\\x09here\\x7f\n"), std::string::npos);
}

}  // namespace
}  // namespace estafeta::log
