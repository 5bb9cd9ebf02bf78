// imap_parser_quota_test: the QUOTA grammar (RFC 9208 §9): GETQUOTA, GETQUOTAROOT, SETQUOTA
// with its setquota-list, STATUS DELETED-STORAGE, and the BAD answer of each malformed form;
// every input also split byte by byte through the command reader is covered by the fuzzers.
#include <gtest/gtest.h>

#include "imap/proto/imap_parser.hpp"

namespace estafeta::imap {
namespace {

template <class T>
T body(std::string_view wire, const Limits& limits = {}) {
  auto r = parse_command(wire, limits);
  EXPECT_TRUE(r) << wire << " -> " << r.error.text;
  if (!r) return T{};
  const T* t = std::get_if<T>(&r.command->body);
  EXPECT_NE(t, nullptr) << wire;
  return t ? *t : T{};
}

std::string bad(std::string_view wire, const Limits& limits = {}) {
  auto r = parse_command(wire, limits);
  EXPECT_FALSE(r) << wire;
  std::string s = r.error.response();
  return s.substr(0, s.size() - 2);
}

TEST(ImapParserQuota, GetQuotaAndGetQuotaRoot) {
  EXPECT_EQ(body<GetQuota>("a GETQUOTA \"\"").root, "");
  EXPECT_EQ(body<GetQuota>("a getquota \"User quota\"").root, "User quota");
  EXPECT_EQ(body<GetQuota>("a GETQUOTA root1").root, "root1");
  EXPECT_EQ(body<GetQuota>("a GETQUOTA {3+}\r\nabc").root, "abc");
  EXPECT_EQ(body<GetQuotaRoot>("a GETQUOTAROOT INBOX").mailbox, "INBOX");
  EXPECT_EQ(body<GetQuotaRoot>("a getquotaroot \"Sent Items\"").mailbox, "Sent Items");
  auto r = parse_command("t GETQUOTAROOT inbox", {});
  ASSERT_TRUE(r);
  EXPECT_EQ(r.command->name, "GETQUOTAROOT");
  EXPECT_EQ(bad("a GETQUOTA"), "a BAD Missing quota root");
  EXPECT_EQ(bad("a GETQUOTA (x)"), "a BAD Missing quota root");
  EXPECT_EQ(bad("a GETQUOTA \"\" extra"), "a BAD Unexpected arguments");
  EXPECT_EQ(bad("a GETQUOTAROOT"), "a BAD Missing mailbox name");
  EXPECT_EQ(bad("a GETQUOTAROOT INBOX Sent"), "a BAD Unexpected arguments");
}

TEST(ImapParserQuota, SetQuota) {
  SetQuota q = body<SetQuota>("a SETQUOTA \"\" (STORAGE 512 message 1000)");
  EXPECT_EQ(q.root, "");
  ASSERT_EQ(q.limits.size(), 2u);
  EXPECT_EQ(q.limits[0], (std::pair<std::string, std::uint64_t>{"STORAGE", 512}));
  EXPECT_EQ(q.limits[1], (std::pair<std::string, std::uint64_t>{"MESSAGE", 1000}));
  // An empty list removes every limit (RFC 9208 §4.1.3); number64 limits.
  EXPECT_TRUE(body<SetQuota>("a SETQUOTA x ()").limits.empty());
  EXPECT_EQ(body<SetQuota>("a SETQUOTA x (STORAGE 9223372036854775807)").limits[0].second,
            9223372036854775807ULL);
  EXPECT_EQ(body<SetQuota>("a SETQUOTA x (X-FOO 1)").limits[0].first, "X-FOO");
  EXPECT_EQ(bad("a SETQUOTA"), "a BAD Missing quota root");
  EXPECT_EQ(bad("a SETQUOTA x"), "a BAD Invalid quota resource list");
  EXPECT_EQ(bad("a SETQUOTA x STORAGE 5"), "a BAD Invalid quota resource list");
  EXPECT_EQ(bad("a SETQUOTA x (STORAGE)"), "a BAD Missing quota resource limit");
  EXPECT_EQ(bad("a SETQUOTA x (STORAGE -1)"), "a BAD Invalid quota resource limit");
  EXPECT_EQ(bad("a SETQUOTA x (STORAGE 99999999999999999999)"),
            "a BAD Invalid quota resource limit");
  EXPECT_EQ(bad("a SETQUOTA x (STORAGE 5  MESSAGE 3)"), "a BAD Invalid quota resource name");
  EXPECT_EQ(bad("a SETQUOTA x (STORAGE 5"), "a BAD Invalid quota resource list");
  EXPECT_EQ(bad("a SETQUOTA x (STORAGE 5) y"), "a BAD Unexpected arguments");
  EXPECT_EQ(bad("a SETQUOTA x ((STORAGE 5))"), "a BAD Invalid quota resource name");
  // At most Limits::max_list_items resources.
  Limits small;
  small.max_list_items = 2;
  EXPECT_EQ(bad("a SETQUOTA x (A 1 B 2 C 3)", small), "a BAD Too many quota resources");
}

TEST(ImapParserQuota, StatusDeletedStorage) {
  Status s = body<Status>("a STATUS INBOX (DELETED-STORAGE DELETED)");
  EXPECT_TRUE(s.items.deleted_storage);
  EXPECT_TRUE(s.items.deleted);
  s = body<Status>("a STATUS INBOX (deleted)");
  EXPECT_FALSE(s.items.deleted_storage);
  EXPECT_EQ(bad("a STATUS INBOX (DELETED-STORAGEX)"), "a BAD Unknown STATUS item");
}

}  // namespace
}  // namespace estafeta::imap
