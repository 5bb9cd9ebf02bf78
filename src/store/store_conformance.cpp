// store_conformance: the tests of the conformance suite (store_conformance.hpp).
#include "store/store_conformance.hpp"

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <map>
#include <mutex>
#include <set>
#include <thread>

namespace estafeta::store {
namespace {

std::string message(const std::string& subject, const std::string& body = "Hello.\r\n") {
  return "From: Alice <alice@example.org>\r\nTo: bob@example.org\r\nSubject: " + subject +
         "\r\nDate: Tue, 01 Dec 2026 10:00:00 +0100\r\nMessage-ID: <" + subject +
         "@example.org>\r\n\r\n" + body;
}

NewMessage new_message(const std::string& bytes, Flags flags = {}) {
  NewMessage m;
  m.bytes = bytes;
  m.flags = std::move(flags);
  m.internal_date = 1764579600;
  m.internal_tz = 60;
  return m;
}

MailboxInfo find(Account& a, const std::string& name) {
  MailboxInfo info;
  EXPECT_FALSE(a.find(name, info)) << name;
  return info;
}

Uid append(Account& a, MailboxId mb, const std::string& bytes, Flags flags = {}) {
  AppendResult r;
  std::string copy = bytes;
  EXPECT_FALSE(a.append(mb, new_message(copy, std::move(flags)), r));
  return r.uid;
}

std::vector<MessageInfo> messages(Account& a, MailboxId mb, MailboxInfo* info = nullptr) {
  MailboxInfo i;
  std::vector<MessageInfo> out;
  EXPECT_FALSE(a.snapshot(mb, i, out));
  if (info) *info = i;
  return out;
}

std::vector<Uid> uids_of(const std::vector<MessageInfo>& ms) {
  std::vector<Uid> out;
  for (const auto& m : ms) out.push_back(m.uid);
  return out;
}

std::string read_all(Account& a, MailboxId mb, Uid uid, std::size_t piece) {
  std::unique_ptr<Blob> blob;
  EXPECT_FALSE(a.open(mb, uid, blob));
  if (!blob) return {};
  std::string all, part;
  for (std::uint64_t off = 0; off < blob->size(); off += piece) {
    EXPECT_FALSE(blob->read(off, piece, part));
    all += part;
  }
  return all;
}

}  // namespace

std::string conformance_name(const ::testing::TestParamInfo<StoreFactory>& info) {
  return info.param.name;
}

void StoreConformance::SetUp() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "estafeta-store-XXXXXX").string();
  ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
  dir_ = tmpl;
  store_ = GetParam().make(dir_, nullptr);
  ASSERT_TRUE(store_);
}

void StoreConformance::TearDown() {
  store_.reset();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

void StoreConformance::reopen() {
  auto previous = std::move(store_);
  store_ = GetParam().make(dir_, std::move(previous));
  ASSERT_TRUE(store_);
}

std::shared_ptr<Account> StoreConformance::account(const std::string& name) {
  std::shared_ptr<Account> a;
  EXPECT_FALSE(store_->account(name, a));
  return a;
}

TEST_P(StoreConformance, SpecialUseMailboxesExist) {
  auto a = account();
  std::vector<MailboxInfo> list;
  ASSERT_FALSE(a->list(list));
  std::map<std::string, SpecialUse> seen;
  std::set<std::uint32_t> validities;
  for (const auto& m : list) {
    seen[m.name] = m.special_use;
    validities.insert(m.uid_validity);
    EXPECT_NE(m.uid_validity, 0u);
    EXPECT_EQ(m.uid_next, 1u);
  }
  EXPECT_EQ(validities.size(), list.size()) << "UIDVALIDITY distinct per mailbox";
  ASSERT_TRUE(seen.count("INBOX"));
  EXPECT_EQ(seen["Sent"], SpecialUse::sent);
  EXPECT_EQ(seen["Drafts"], SpecialUse::drafts);
  EXPECT_EQ(seen["Trash"], SpecialUse::trash);
  EXPECT_EQ(seen["Junk"], SpecialUse::junk);
  EXPECT_EQ(seen["Archive"], SpecialUse::archive);
  MailboxInfo inbox;
  EXPECT_FALSE(a->find("inbox", inbox));
  EXPECT_EQ(inbox.name, "INBOX");
  // The same account object for every caller, and stable UIDVALIDITY across a restart.
  auto uv = inbox.uid_validity;
  a.reset();
  reopen();
  EXPECT_EQ(find(*account(), "INBOX").uid_validity, uv);
}

TEST_P(StoreConformance, UidAssignmentAndUidNext) {
  auto a = account();
  auto inbox = find(*a, "INBOX");
  EXPECT_EQ(append(*a, inbox.id, message("one")), 1u);
  EXPECT_EQ(append(*a, inbox.id, message("two")), 2u);
  EXPECT_EQ(append(*a, inbox.id, message("three")), 3u);
  MailboxInfo info;
  auto ms = messages(*a, inbox.id, &info);
  EXPECT_EQ(uids_of(ms), (std::vector<Uid>{1, 2, 3}));
  EXPECT_EQ(info.uid_next, 4u);
  EXPECT_EQ(info.messages, 3u);
  EXPECT_EQ(info.unseen, 3u);
  EXPECT_EQ(ms[0].internal_date, 1764579600);
  EXPECT_EQ(ms[0].internal_tz, 60);
  EXPECT_EQ(ms[0].size, message("one").size());
  EXPECT_EQ(info.size, message("one").size() + message("two").size() + message("three").size());
  EXPECT_FALSE(ms[0].email_id.empty());
  EXPECT_NE(ms[0].email_id, ms[1].email_id);
  EXPECT_GT(ms[0].save_date, 0);
}

TEST_P(StoreConformance, NoUidReuseAfterExpungeAndRestart) {
  auto a = account();
  auto inbox = find(*a, "INBOX");
  for (int i = 0; i < 3; ++i) append(*a, inbox.id, message("m" + std::to_string(i)));
  std::vector<Uid> gone;
  ASSERT_FALSE(a->expunge(inbox.id, {2, 3}, gone));
  EXPECT_EQ(gone, (std::vector<Uid>{2, 3}));
  EXPECT_EQ(append(*a, inbox.id, message("m3")), 4u);
  ASSERT_FALSE(a->expunge(inbox.id, {4}, gone));
  a.reset();
  reopen();
  a = account();
  inbox = find(*a, "INBOX");
  EXPECT_EQ(inbox.uid_next, 5u);
  EXPECT_EQ(append(*a, inbox.id, message("m4")), 5u);
  EXPECT_EQ(uids_of(messages(*a, inbox.id)), (std::vector<Uid>{1, 5}));
}

// EXPUNGE and CLOSE: \Deleted as the store has it at that moment decides; the kept counts
// (STATUS MESSAGES, UNSEEN, DELETED, SIZE) follow every change.
TEST_P(StoreConformance, ExpungeDeletedAndCounts) {
  auto a = account();
  auto inbox = find(*a, "INBOX");
  for (int i = 0; i < 5; ++i) append(*a, inbox.id, message("m" + std::to_string(i)));
  MailboxInfo info = find(*a, "INBOX");
  EXPECT_EQ(info.messages, 5u);
  EXPECT_EQ(info.unseen, 5u);
  EXPECT_EQ(info.deleted, 0u);
  const std::uint64_t all_size = info.size;
  EXPECT_GT(all_size, 0u);
  FlagResult fr;
  FlagUpdate up;
  up.mode = FlagUpdate::Mode::add;
  up.flags.system = kDeleted | kSeen;
  ASSERT_FALSE(a->update_flags(inbox.id, {2, 3, 5}, up, fr));
  info = find(*a, "INBOX");
  EXPECT_EQ(info.unseen, 2u);
  EXPECT_EQ(info.deleted, 3u);
  std::vector<Uid> gone;
  // Among given UIDs: only those with \Deleted (1 has none, 9 does not exist).
  const std::vector<Uid> among{1, 2, 9};
  ASSERT_FALSE(a->expunge_deleted(inbox.id, &among, gone));
  EXPECT_EQ(gone, (std::vector<Uid>{2}));
  // Another session clears \Deleted on 3 before the EXPUNGE: 3 stays.
  FlagUpdate clear;
  clear.mode = FlagUpdate::Mode::remove;
  clear.flags.system = kDeleted;
  ASSERT_FALSE(a->update_flags(inbox.id, {3}, clear, fr));
  ASSERT_FALSE(a->expunge_deleted(inbox.id, nullptr, gone));
  EXPECT_EQ(gone, (std::vector<Uid>{5}));
  ASSERT_FALSE(a->expunge_deleted(inbox.id, nullptr, gone));
  EXPECT_TRUE(gone.empty());
  EXPECT_EQ(uids_of(messages(*a, inbox.id)), (std::vector<Uid>{1, 3, 4}));
  info = find(*a, "INBOX");
  EXPECT_EQ(info.messages, 3u);
  EXPECT_EQ(info.unseen, 2u);
  EXPECT_EQ(info.deleted, 0u);
  EXPECT_LT(info.size, all_size);
  a.reset();
  reopen();
  a = account();
  info = find(*a, "INBOX");
  EXPECT_EQ(info.messages, 3u);
  EXPECT_EQ(info.unseen, 2u);
}

TEST_P(StoreConformance, ModSeqGrowsWithEveryChange) {
  auto a = account();
  auto inbox = find(*a, "INBOX");
  ModSeq last = inbox.highest_modseq;
  auto check = [&](const char* what) {
    auto now = find(*a, "INBOX").highest_modseq;
    EXPECT_GT(now, last) << what;
    last = now;
  };
  append(*a, inbox.id, message("a"));
  check("append");
  append(*a, inbox.id, message("b"));
  check("append 2");
  FlagResult fr;
  FlagUpdate up;
  up.mode = FlagUpdate::Mode::add;
  up.flags.system = kSeen;
  ASSERT_FALSE(a->update_flags(inbox.id, {1}, up, fr));
  check("flags");
  ASSERT_EQ(fr.changed.size(), 1u);
  EXPECT_EQ(fr.changed[0].modseq, last);
  // No change, no new MODSEQ.
  ASSERT_FALSE(a->update_flags(inbox.id, {1}, up, fr));
  EXPECT_TRUE(fr.changed.empty());
  EXPECT_EQ(find(*a, "INBOX").highest_modseq, last);
  std::vector<Uid> gone;
  ASSERT_FALSE(a->expunge(inbox.id, {2}, gone));
  check("expunge");
  auto ms = messages(*a, inbox.id);
  ASSERT_EQ(ms.size(), 1u);
  EXPECT_LE(ms[0].modseq, last);
}

TEST_P(StoreConformance, ChangesSinceWithExpunges) {
  auto a = account();
  auto inbox = find(*a, "INBOX");
  for (int i = 0; i < 4; ++i) append(*a, inbox.id, message("c" + std::to_string(i)));
  ModSeq mark = find(*a, "INBOX").highest_modseq;
  FlagResult fr;
  FlagUpdate up;
  up.mode = FlagUpdate::Mode::add;
  up.flags.system = kFlagged;
  ASSERT_FALSE(a->update_flags(inbox.id, {2}, up, fr));
  std::vector<Uid> gone;
  ASSERT_FALSE(a->expunge(inbox.id, {3}, gone));
  append(*a, inbox.id, message("c4"));
  ChangesSince cs;
  ASSERT_FALSE(a->changes_since(inbox.id, mark, cs));
  EXPECT_EQ(uids_of(cs.changed), (std::vector<Uid>{2, 5}));
  EXPECT_EQ(cs.expunged, (std::vector<Uid>{3}));
  EXPECT_EQ(cs.mailbox.messages, 4u);
  EXPECT_EQ(cs.mailbox.highest_modseq, find(*a, "INBOX").highest_modseq);
  ASSERT_FALSE(a->changes_since(inbox.id, cs.mailbox.highest_modseq, cs));
  EXPECT_TRUE(cs.changed.empty());
  EXPECT_TRUE(cs.expunged.empty());
}

TEST_P(StoreConformance, FlagsAndKeywords) {
  auto a = account();
  auto inbox = find(*a, "INBOX");
  Flags initial;
  initial.system = kDraft;
  initial.keywords = {"$Important"};
  append(*a, inbox.id, message("f"), initial);
  EXPECT_EQ(messages(*a, inbox.id)[0].flags, initial);
  FlagResult fr;
  FlagUpdate up;
  up.mode = FlagUpdate::Mode::add;
  up.flags.system = kSeen | kAnswered;
  up.flags.keywords = {"Work", "$Forwarded"};
  ASSERT_FALSE(a->update_flags(inbox.id, {1}, up, fr));
  Flags want;
  want.system = kDraft | kSeen | kAnswered;
  want.keywords = {"$Forwarded", "$Important", "Work"};
  EXPECT_EQ(messages(*a, inbox.id)[0].flags, want);
  up.mode = FlagUpdate::Mode::remove;
  up.flags.system = kDraft;
  up.flags.keywords = {"work"};  // keywords compare case-insensitively
  ASSERT_FALSE(a->update_flags(inbox.id, {1}, up, fr));
  want.system = kSeen | kAnswered;
  want.keywords = {"$Forwarded", "$Important"};
  EXPECT_EQ(messages(*a, inbox.id)[0].flags, want);
  up.mode = FlagUpdate::Mode::replace;
  up.flags.system = kDeleted;
  up.flags.keywords = {"Later"};
  ASSERT_FALSE(a->update_flags(inbox.id, {1, 99}, up, fr));
  ASSERT_EQ(fr.changed.size(), 1u);
  want.system = kDeleted;
  want.keywords = {"Later"};
  EXPECT_EQ(fr.changed[0].flags, want);
  MailboxInfo info;
  messages(*a, inbox.id, &info);
  EXPECT_EQ(info.deleted, 1u);
  EXPECT_EQ(info.unseen, 1u);
  // Flags survive a restart.
  a.reset();
  reopen();
  a = account();
  EXPECT_EQ(messages(*a, inbox.id)[0].flags, want);
}

TEST_P(StoreConformance, UnchangedSinceReportsModified) {
  auto a = account();
  auto inbox = find(*a, "INBOX");
  append(*a, inbox.id, message("u1"));
  append(*a, inbox.id, message("u2"));
  auto ms = messages(*a, inbox.id);
  FlagResult fr;
  FlagUpdate up;
  up.mode = FlagUpdate::Mode::add;
  up.flags.system = kSeen;
  ASSERT_FALSE(a->update_flags(inbox.id, {2}, up, fr));
  FlagUpdate cond;
  cond.mode = FlagUpdate::Mode::add;
  cond.flags.system = kFlagged;
  cond.unchanged_since = ms[1].modseq;  // message 2 changed since
  ASSERT_FALSE(a->update_flags(inbox.id, {1, 2}, cond, fr));
  EXPECT_EQ(fr.modified, (std::vector<Uid>{2}));
  ASSERT_EQ(fr.changed.size(), 1u);
  EXPECT_EQ(fr.changed[0].uid, 1u);
  ms = messages(*a, inbox.id);
  EXPECT_EQ(ms[0].flags.system, kFlagged);
  EXPECT_EQ(ms[1].flags.system, kSeen);
}

TEST_P(StoreConformance, CopyAndMoveKeepEmailIds) {
  auto a = account();
  auto inbox = find(*a, "INBOX");
  auto archive = find(*a, "Archive");
  append(*a, inbox.id, message("x1"));
  append(*a, inbox.id, message("x2"), Flags{kSeen, {"Work"}});
  append(*a, inbox.id, message("x3"));
  append(*a, archive.id, message("already"));
  auto src = messages(*a, inbox.id);
  CopyResult cr;
  ASSERT_FALSE(a->copy(inbox.id, {3, 2, 42}, archive.id, cr));
  EXPECT_EQ(cr.uid_validity, archive.uid_validity);
  EXPECT_EQ(cr.source, (std::vector<Uid>{2, 3}));
  EXPECT_EQ(cr.target, (std::vector<Uid>{2, 3}));
  auto dst = messages(*a, archive.id);
  ASSERT_EQ(dst.size(), 3u);
  EXPECT_EQ(dst[1].email_id, src[1].email_id);
  EXPECT_EQ(dst[1].flags, src[1].flags);
  EXPECT_EQ(dst[2].email_id, src[2].email_id);
  EXPECT_EQ(messages(*a, inbox.id).size(), 3u);
  EXPECT_EQ(read_all(*a, archive.id, 2, 1000), message("x2"));

  auto trash = find(*a, "Trash");
  ASSERT_FALSE(a->move(inbox.id, {1, 3}, trash.id, cr));
  EXPECT_EQ(cr.source, (std::vector<Uid>{1, 3}));
  EXPECT_EQ(cr.target, (std::vector<Uid>{1, 2}));
  EXPECT_EQ(cr.uid_validity, trash.uid_validity);
  EXPECT_EQ(uids_of(messages(*a, inbox.id)), (std::vector<Uid>{2}));
  auto moved = messages(*a, trash.id);
  ASSERT_EQ(moved.size(), 2u);
  EXPECT_EQ(moved[0].email_id, src[0].email_id);
  EXPECT_EQ(moved[1].email_id, src[2].email_id);
  ChangesSince cs;
  ASSERT_FALSE(a->changes_since(inbox.id, 1, cs));
  EXPECT_EQ(cs.expunged, (std::vector<Uid>{1, 3}));
  CachedFields c;
  ASSERT_FALSE(a->cached(trash.id, 2, c));
  EXPECT_NE(c.envelope.find("x3"), std::string::npos);
  EXPECT_EQ(read_all(*a, trash.id, 1, 7), message("x1"));
  // A missing mailbox.
  EXPECT_EQ(a->copy(inbox.id, {2}, 987654, cr), std::error_code(Errc::no_such_mailbox));
}

// RFC 8474 THREADID (store_thread_ids.hpp): a reply joins its parent's thread, a parent that
// arrives after its reply joins the reply's, an unrelated message (even of the same subject)
// starts its own; COPY and MOVE keep the id; restart and rebuild_index give one id per thread.
TEST_P(StoreConformance, ThreadIds) {
  auto a = account();
  auto inbox = find(*a, "INBOX");
  auto archive = find(*a, "Archive");
  auto mail = [](const std::string& id, const std::string& headers) {
    return "From: alice@example.org\r\nSubject: Lunch\r\nMessage-ID: <" + id + ">\r\n" + headers +
           "\r\nHi.\r\n";
  };
  std::int64_t date = 1764579600;
  auto add = [&](MailboxId mb, const std::string& bytes) {
    AppendResult r;
    NewMessage m = new_message(bytes);
    m.internal_date = date++;  // arrival order, which a rebuild follows
    EXPECT_FALSE(a->append(mb, m, r));
    return r.uid;
  };
  const Uid root = add(inbox.id, mail("root@x", ""));
  const Uid reply = add(inbox.id, mail("reply@x", "In-Reply-To: <root@x>\r\n"));
  const Uid deep =
      add(inbox.id, mail("deep@x", "In-Reply-To: <reply@x>\r\nReferences: <root@x> <reply@x>\r\n"));
  const Uid other = add(inbox.id, mail("other@x", ""));  // same subject, no link
  const Uid child =
      add(inbox.id, mail("child@x", "References: <parent@x>\r\nIn-Reply-To: <parent@x>\r\n"));
  const Uid parent = add(archive.id, mail("parent@x", ""));  // arrives after its reply
  const Uid bare = add(inbox.id, "Subject: no ids\r\n\r\nx\r\n");

  auto thread_of = [&](MailboxId mb, Uid uid) {
    for (const auto& m : messages(*a, mb))
      if (m.uid == uid) return m.thread_id;
    ADD_FAILURE() << "no uid " << uid;
    return std::string();
  };
  auto objectid = [](const std::string& id) {  // RFC 8474 §7: 1*255(ALPHA / DIGIT / "_" / "-")
    if (id.empty() || id.size() > 255) return false;
    for (char c : id)
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') return false;
    return true;
  };
  bool deep_here = true;  // until it is moved away
  auto check = [&](const char* when) {
    SCOPED_TRACE(when);
    const std::string t = thread_of(inbox.id, root);
    EXPECT_TRUE(objectid(t)) << t;
    EXPECT_EQ(thread_of(inbox.id, reply), t);
    if (deep_here) {
      EXPECT_EQ(thread_of(inbox.id, deep), t);
    }
    const std::string u = thread_of(inbox.id, other);
    EXPECT_TRUE(objectid(u)) << u;
    EXPECT_NE(u, t);
    const std::string c = thread_of(inbox.id, child);
    EXPECT_TRUE(objectid(c)) << c;
    EXPECT_NE(c, t);
    EXPECT_NE(c, u);
    EXPECT_EQ(thread_of(archive.id, parent), c);
    const std::string b = thread_of(inbox.id, bare);
    EXPECT_TRUE(objectid(b)) << b;
    EXPECT_NE(b, t);
    EXPECT_NE(b, u);
    EXPECT_NE(b, c);
  };
  check("after append");
  const std::string before = thread_of(inbox.id, root);

  // COPY and MOVE keep the thread id; a later reply to a copied message joins the thread.
  CopyResult cr;
  ASSERT_FALSE(a->copy(inbox.id, {reply, bare}, archive.id, cr));
  ASSERT_EQ(cr.target.size(), 2u);
  EXPECT_EQ(thread_of(archive.id, cr.target[0]), before);
  EXPECT_EQ(thread_of(archive.id, cr.target[1]), thread_of(inbox.id, bare));
  auto trash = find(*a, "Trash");
  ASSERT_FALSE(a->move(inbox.id, {deep}, trash.id, cr));
  ASSERT_EQ(cr.target.size(), 1u);
  EXPECT_EQ(thread_of(trash.id, cr.target[0]), before);
  deep_here = false;
  const Uid late = add(inbox.id, mail("late@x", "In-Reply-To: <deep@x>\r\n"));
  EXPECT_EQ(thread_of(inbox.id, late), before);
  // Expunged messages still link: a reply to one joins its thread.
  std::vector<Uid> gone;
  ASSERT_FALSE(a->expunge(trash.id, {cr.target[0]}, gone));
  const Uid later = add(inbox.id, mail("later@x", "References: <deep@x>\r\n"));
  EXPECT_EQ(thread_of(inbox.id, later), before);

  a.reset();
  reopen();
  a = account();
  check("after restart");
  EXPECT_EQ(thread_of(inbox.id, root), before);

  IndexReport report;
  ASSERT_FALSE(a->rebuild_index(report));
  ASSERT_FALSE(a->find("INBOX", inbox));
  ASSERT_FALSE(a->find("Archive", archive));
  check("after rebuild");
  const std::string t = thread_of(inbox.id, root);
  std::vector<MessageInfo> archived = messages(*a, archive.id);
  ASSERT_EQ(archived.size(), 3u);  // parent, the copies of reply and bare
  EXPECT_EQ(archived[1].thread_id, t);
  EXPECT_EQ(archived[2].thread_id, thread_of(inbox.id, bare));
}

TEST_P(StoreConformance, RenameWithInferiors) {
  auto a = account();
  MailboxInfo info;
  ASSERT_FALSE(a->create("Work/2025/Q1", SpecialUse::none, info));
  EXPECT_FALSE(a->find("Work", info));  // parents made too
  auto q1 = find(*a, "Work/2025/Q1");
  append(*a, q1.id, message("q1"));
  auto work = find(*a, "Work");
  append(*a, work.id, message("w"));
  ASSERT_FALSE(a->rename("Work", "Projects/Old"));
  EXPECT_EQ(a->find("Work", info), std::error_code(Errc::no_such_mailbox));
  EXPECT_EQ(a->find("Work/2025/Q1", info), std::error_code(Errc::no_such_mailbox));
  auto moved = find(*a, "Projects/Old/2025/Q1");
  EXPECT_EQ(moved.messages, 1u);
  EXPECT_EQ(find(*a, "Projects/Old").messages, 1u);
  EXPECT_FALSE(a->find("Projects", info));
  auto ms = messages(*a, moved.id);
  ASSERT_EQ(ms.size(), 1u);
  EXPECT_EQ(read_all(*a, moved.id, ms[0].uid, 4096), message("q1"));
  // Onto an existing name, into itself, and a missing source.
  EXPECT_EQ(a->rename("Projects/Old", "Sent"), std::error_code(Errc::mailbox_exists));
  EXPECT_EQ(a->rename("Projects", "Projects/Sub"), std::error_code(Errc::bad_mailbox_name));
  EXPECT_EQ(a->rename("Nope", "Other"), std::error_code(Errc::no_such_mailbox));
  EXPECT_EQ(a->rename("Projects", "a/../b"), std::error_code(Errc::bad_mailbox_name));
}

TEST_P(StoreConformance, RenameInbox) {
  auto a = account();
  auto inbox = find(*a, "INBOX");
  append(*a, inbox.id, message("i1"));
  append(*a, inbox.id, message("i2"));
  ASSERT_FALSE(a->rename("inbox", "Old Inbox"));
  auto old = find(*a, "Old Inbox");
  EXPECT_EQ(old.messages, 2u);
  auto now = find(*a, "INBOX");
  EXPECT_EQ(now.messages, 0u);
  EXPECT_EQ(now.uid_validity, inbox.uid_validity);
  EXPECT_GE(now.uid_next, 3u);  // INBOX's UIDs are not handed out again
  EXPECT_EQ(append(*a, now.id, message("i3")), now.uid_next);
  auto ms = messages(*a, old.id);
  ASSERT_EQ(ms.size(), 2u);
  EXPECT_EQ(read_all(*a, old.id, ms[1].uid, 3), message("i2"));
}

TEST_P(StoreConformance, DeleteMailbox) {
  auto a = account();
  MailboxInfo info;
  ASSERT_FALSE(a->create("Old", SpecialUse::none, info));
  append(*a, info.id, message("old"));
  ASSERT_FALSE(a->remove("Old"));
  EXPECT_EQ(a->find("Old", info), std::error_code(Errc::no_such_mailbox));
  EXPECT_EQ(a->remove("Old"), std::error_code(Errc::no_such_mailbox));
  EXPECT_EQ(a->remove("INBOX"), std::error_code(Errc::cannot_delete_inbox));
  EXPECT_EQ(a->remove("inbox"), std::error_code(Errc::cannot_delete_inbox));
  // Made again: empty, with a new UIDVALIDITY.
  ASSERT_FALSE(a->create("Old", SpecialUse::none, info));
  EXPECT_EQ(info.messages, 0u);
  EXPECT_EQ(messages(*a, info.id).size(), 0u);
}

TEST_P(StoreConformance, CreateRefusesBadAndExistingNames) {
  auto a = account();
  MailboxInfo info;
  for (const char* bad : {"", "/x", "x/", "a//b", "a/../b", "..", "a\nb", "a\x01"})
    EXPECT_EQ(a->create(bad, SpecialUse::none, info), std::error_code(Errc::bad_mailbox_name))
        << bad;
  EXPECT_EQ(a->create(std::string(kMaxMailboxName + 1, 'n'), SpecialUse::none, info),
            std::error_code(Errc::bad_mailbox_name));
  EXPECT_EQ(a->create("INBOX", SpecialUse::none, info), std::error_code(Errc::mailbox_exists));
  EXPECT_EQ(a->create("Sent", SpecialUse::none, info), std::error_code(Errc::mailbox_exists));
  // Names any UTF-8 allows, and a '.' inside a component.
  for (const char* good : {"Entwürfe", "日本語/メール", "lists.debian", "a & b", "&Jjo-"}) {
    ASSERT_FALSE(a->create(good, SpecialUse::none, info)) << good;
    EXPECT_EQ(info.name, good);
  }
  ASSERT_FALSE(a->create("Flagged mail", SpecialUse::flagged, info));
  EXPECT_EQ(info.special_use, SpecialUse::flagged);
  a.reset();
  reopen();
  a = account();
  for (const char* good : {"Entwürfe", "日本語/メール", "日本語", "lists.debian", "a & b", "&Jjo-"})
    EXPECT_FALSE(a->find(good, info)) << good;
  EXPECT_EQ(find(*a, "Flagged mail").special_use, SpecialUse::flagged);
}

TEST_P(StoreConformance, Subscriptions) {
  auto a = account();
  ASSERT_FALSE(a->subscribe("INBOX", true));
  ASSERT_FALSE(a->subscribe("Sent", true));
  ASSERT_FALSE(a->subscribe("Not/There", true));  // need not exist
  ASSERT_FALSE(a->subscribe("Sent", true));       // twice is once
  std::vector<std::string> subs;
  ASSERT_FALSE(a->subscriptions(subs));
  std::sort(subs.begin(), subs.end());
  EXPECT_EQ(subs, (std::vector<std::string>{"INBOX", "Not/There", "Sent"}));
  ASSERT_FALSE(a->subscribe("Sent", false));
  EXPECT_EQ(a->subscribe("a//b", true), std::error_code(Errc::bad_mailbox_name));
  a.reset();
  reopen();
  a = account();
  ASSERT_FALSE(a->subscriptions(subs));
  std::sort(subs.begin(), subs.end());
  EXPECT_EQ(subs, (std::vector<std::string>{"INBOX", "Not/There"}));
}

// RFC 4314 ACLs: per mailbox, through rename (with inferiors), dropped with the mailbox, kept
// across a restart and a rebuild; the store's registry names the owners who share.
TEST_P(StoreConformance, AclEntries) {
  auto a = account();
  MailboxInfo info;
  ASSERT_FALSE(a->create("Team/Plans", SpecialUse::none, info));
  auto team = find(*a, "Team");
  auto plans = find(*a, "Team/Plans");
  std::vector<AclEntry> acl;
  ASSERT_FALSE(a->acl(team.id, acl));
  EXPECT_TRUE(acl.empty());
  ASSERT_FALSE(a->set_acl(team.id, "bob@example.org", "lr"));
  ASSERT_FALSE(a->set_acl(team.id, "anyone", "l"));
  ASSERT_FALSE(a->set_acl(plans.id, "-carol@example.org", "r"));
  ASSERT_FALSE(a->set_acl(team.id, "bob@example.org", "lrs"));  // replaces
  ASSERT_FALSE(a->acl(team.id, acl));
  EXPECT_EQ(acl, (std::vector<AclEntry>{{"anyone", "l"}, {"bob@example.org", "lrs"}}));
  EXPECT_EQ(a->set_acl(987654, "bob@example.org", "l"), std::error_code(Errc::no_such_mailbox));
  EXPECT_EQ(a->acl(987654, acl), std::error_code(Errc::no_such_mailbox));
  EXPECT_TRUE(a->set_acl(team.id, "bad id", "l"));

  std::vector<std::string> owners;
  ASSERT_FALSE(store_->sharers("bob@example.org", owners));
  EXPECT_EQ(owners, (std::vector<std::string>{"alice@example.org"}));
  ASSERT_FALSE(store_->sharers("dave@example.org", owners));  // through "anyone"
  EXPECT_EQ(owners, (std::vector<std::string>{"alice@example.org"}));
  ASSERT_FALSE(store_->sharers("bob@example.net", owners));  // never across domains
  EXPECT_TRUE(owners.empty());
  ASSERT_FALSE(store_->sharers("alice@example.org", owners));  // not to oneself
  EXPECT_TRUE(owners.empty());

  ASSERT_FALSE(a->rename("Team", "Crew"));
  std::vector<std::pair<std::string, AclEntry>> all;
  ASSERT_FALSE(a->acl_all(all));
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].first, "Crew");
  EXPECT_EQ(all[2].first, "Crew/Plans");
  EXPECT_EQ(all[2].second, (AclEntry{"-carol@example.org", "r"}));

  a.reset();
  reopen();
  a = account();
  auto crew = find(*a, "Crew");
  ASSERT_FALSE(a->acl(crew.id, acl));
  EXPECT_EQ(acl, (std::vector<AclEntry>{{"anyone", "l"}, {"bob@example.org", "lrs"}}));
  IndexReport report;
  ASSERT_FALSE(a->rebuild_index(report));
  crew = find(*a, "Crew");
  ASSERT_FALSE(a->acl(crew.id, acl));
  EXPECT_EQ(acl.size(), 2u);
  ASSERT_FALSE(store_->sharers("bob@example.org", owners));
  EXPECT_EQ(owners, (std::vector<std::string>{"alice@example.org"}));

  // Removing entries, and the mailbox: the registry forgets the owner.
  ASSERT_FALSE(a->set_acl(crew.id, "anyone", ""));
  ASSERT_FALSE(a->remove("Crew/Plans"));
  ASSERT_FALSE(a->remove("Crew"));
  ASSERT_FALSE(a->acl_all(all));
  EXPECT_TRUE(all.empty());
  ASSERT_FALSE(a->create("Crew", SpecialUse::none, info));
  ASSERT_FALSE(a->acl(info.id, acl));
  EXPECT_TRUE(acl.empty());  // a new mailbox of the same name shares nothing
  ASSERT_FALSE(store_->sharers("bob@example.org", owners));
  EXPECT_TRUE(owners.empty());
}

TEST_P(StoreConformance, DeliverIsIdempotentByKey) {
  auto a = account();
  std::string bytes = message("d1");
  AppendResult r1, r2, r3;
  ASSERT_FALSE(a->deliver("", new_message(bytes), "spool-1/alice", false, r1));
  ASSERT_FALSE(a->deliver("", new_message(bytes), "spool-1/alice", false, r2));
  EXPECT_FALSE(r1.existing);
  EXPECT_TRUE(r2.existing);  // nothing appended: the first delivery's UID
  EXPECT_EQ(r1.uid, r2.uid);
  EXPECT_EQ(r1.uid_validity, r2.uid_validity);
  ASSERT_FALSE(a->deliver("INBOX", new_message(bytes), "spool-2/alice", true, r3));
  EXPECT_FALSE(r3.existing);
  EXPECT_EQ(r3.uid, r1.uid + 1);
  auto inbox = find(*a, "INBOX");
  EXPECT_EQ(inbox.messages, 2u);
  EXPECT_EQ(inbox.uid_validity, r1.uid_validity);
  // Into a folder, created on the way.
  AppendResult r4;
  ASSERT_FALSE(a->deliver("lists", new_message(bytes), "spool-3/alice", false, r4));
  EXPECT_EQ(r4.uid, 1u);
  EXPECT_EQ(find(*a, "lists").messages, 1u);
  // The key survives a restart.
  a.reset();
  reopen();
  a = account();
  AppendResult r5;
  ASSERT_FALSE(a->deliver("", new_message(bytes), "spool-1/alice", false, r5));
  EXPECT_TRUE(r5.existing);
  EXPECT_EQ(r5.uid, r1.uid);
  EXPECT_EQ(find(*a, "INBOX").messages, 2u);
}

TEST_P(StoreConformance, DeliverFromFileWithPrefix) {
  auto a = account();
  std::string spool = "SPOOL-HEADER-JUNK" + message("fd");
  std::string path = (dir_ / "spool-file").string();
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::write(fd, spool.data(), spool.size()), static_cast<ssize_t>(spool.size()));
  NewMessage m;
  std::string prefix = "Return-Path: <alice@example.org>\r\nReceived: from x by y\r\n";
  m.prefix = prefix;
  m.fd = fd;
  m.offset = 17;
  m.length = spool.size() - 17;
  AppendResult r;
  ASSERT_FALSE(a->deliver("", m, "k", false, r));
  ::close(fd);
  auto inbox = find(*a, "INBOX");
  EXPECT_EQ(read_all(*a, inbox.id, r.uid, 5), prefix + message("fd"));
  EXPECT_EQ(messages(*a, inbox.id)[0].size, prefix.size() + message("fd").size());
  CachedFields c;
  ASSERT_FALSE(a->cached(inbox.id, r.uid, c));
  EXPECT_EQ(c.header.rfind("Return-Path:", 0), 0u);
}

TEST_P(StoreConformance, FilterAppliesToTheDataNotThePrefix) {
  auto a = account();
  std::string bytes = "X-Drop: 1\r\n" + message("filtered");
  NewMessage m = new_message(bytes);
  std::string prefix = "X-Drop: prefix stays\r\n";
  m.prefix = prefix;
  int lasts = 0;
  std::string seen;
  // Drops every "X-Drop: 1\r\n" of the data; the data may come in any pieces.
  m.filter = [&](std::string_view in, bool last, std::string& out) {
    seen.append(in);
    if (!last) return;
    ++lasts;
    std::string s = seen;
    for (auto p = s.find("X-Drop: 1\r\n"); p != std::string::npos; p = s.find("X-Drop: 1\r\n"))
      s.erase(p, 11);
    out += s + "X-Added: end\r\n";
  };
  AppendResult r;
  ASSERT_FALSE(a->deliver("", m, "f", false, r));
  EXPECT_EQ(lasts, 1);
  auto inbox = find(*a, "INBOX");
  std::string want = prefix + message("filtered") + "X-Added: end\r\n";
  EXPECT_EQ(read_all(*a, inbox.id, r.uid, 4096), want);
  EXPECT_EQ(messages(*a, inbox.id)[0].size, want.size());
}

// ---- quota (RFC 9208) ------------------------------------------------------------------

TEST_P(StoreConformance, QuotaUsageIsTheWholeAccount) {
  auto a = account();
  QuotaState q;
  ASSERT_FALSE(a->quota(q));
  EXPECT_EQ(q.own, (QuotaLimits{kQuotaDefault, kQuotaDefault, kQuotaDefault}));
  EXPECT_FALSE(q.limits.any());
  EXPECT_EQ(q.usage.mailboxes, 6u);  // INBOX and the five special-use mailboxes
  EXPECT_EQ(q.usage.messages, 0u);
  EXPECT_EQ(q.usage.storage, 0u);
  auto inbox = find(*a, "INBOX");
  auto sent = find(*a, "Sent");
  append(*a, inbox.id, message("q1"));
  Uid u2 = append(*a, sent.id, message("q2"));
  const std::uint64_t size = find(*a, "INBOX").size + find(*a, "Sent").size;
  ASSERT_FALSE(a->quota(q));
  EXPECT_EQ(q.usage.messages, 2u);
  EXPECT_EQ(q.usage.storage, size);
  // \Deleted size for STATUS DELETED-STORAGE, then EXPUNGE frees it.
  FlagUpdate del;
  del.mode = FlagUpdate::Mode::add;
  del.flags.system = kDeleted;
  FlagResult fr;
  ASSERT_FALSE(a->update_flags(sent.id, {u2}, del, fr));
  std::uint64_t deleted = 0;
  ASSERT_FALSE(a->deleted_size(sent.id, deleted));
  EXPECT_EQ(deleted, find(*a, "Sent").size);
  std::vector<Uid> gone;
  ASSERT_FALSE(a->expunge_deleted(sent.id, nullptr, gone));
  ASSERT_FALSE(a->quota(q));
  EXPECT_EQ(q.usage.messages, 1u);
  EXPECT_EQ(q.usage.storage, find(*a, "INBOX").size);
  // A deleted mailbox frees its messages and its MAILBOX count.
  MailboxInfo made;
  ASSERT_FALSE(a->create("Projects", SpecialUse::none, made));
  append(*a, made.id, message("q3"));
  ASSERT_FALSE(a->remove("Projects"));
  ASSERT_FALSE(a->quota(q));
  EXPECT_EQ(q.usage.mailboxes, 6u);
  EXPECT_EQ(q.usage.messages, 1u);
}

TEST_P(StoreConformance, QuotaRefusesAppendDeliverCopyAndStoresNothing) {
  auto a = account();
  auto inbox = find(*a, "INBOX");
  auto trash = find(*a, "Trash");
  ASSERT_FALSE(a->set_quota({kQuotaDefault, 3, kQuotaDefault}));
  QuotaState q;
  ASSERT_FALSE(a->quota(q));
  EXPECT_EQ(q.limits.messages, 3u);
  EXPECT_EQ(q.limits.storage_kib, 0u);
  Uid u1 = append(*a, inbox.id, message("m1"));
  append(*a, inbox.id, message("m2"));
  // Two of three: a COPY of both would pass the limit; nothing is copied.
  CopyResult cr;
  EXPECT_EQ(a->copy(inbox.id, {1, 2}, trash.id, cr), make_error_code(Errc::over_quota));
  EXPECT_EQ(find(*a, "Trash").messages, 0u);
  // A MOVE within the account changes nothing and is never refused.
  ASSERT_FALSE(a->move(inbox.id, {u1}, trash.id, cr));
  EXPECT_EQ(cr.target.size(), 1u);
  append(*a, inbox.id, message("m3"));  // exactly at the limit: allowed
  ASSERT_FALSE(a->quota(q));
  // 100 % of the limit: the warning came too, beyond the limit (it is exempt).
  EXPECT_EQ(q.usage.messages, 4u);
  EXPECT_EQ(find(*a, "INBOX").messages, 3u);
  std::string bytes = message("m4");
  AppendResult r;
  EXPECT_EQ(a->append(inbox.id, new_message(bytes), r), make_error_code(Errc::over_quota));
  EXPECT_EQ(a->deliver("", new_message(bytes), "spool-q/alice", false, r),
            make_error_code(Errc::over_quota));
  ASSERT_FALSE(a->quota(q));
  EXPECT_EQ(q.usage.messages, 4u);
  // Expunging frees room; the same delivery key then delivers.
  std::vector<Uid> gone;
  ASSERT_FALSE(a->expunge(trash.id, cr.target, gone));
  auto in_inbox = messages(*a, inbox.id);
  ASSERT_FALSE(a->expunge(inbox.id, {in_inbox.back().uid}, gone));  // the warning
  ASSERT_FALSE(a->deliver("", new_message(bytes), "spool-q/alice", false, r));
  EXPECT_FALSE(r.existing);
  // Lifting the limit (0) and returning to the default (none here).
  ASSERT_FALSE(a->set_quota({kQuotaDefault, 0, kQuotaDefault}));
  EXPECT_EQ(append(*a, inbox.id, message("m5")) != 0, true);
  ASSERT_FALSE(a->set_quota({kQuotaDefault, kQuotaDefault, kQuotaDefault}));
  ASSERT_FALSE(a->quota(q));
  EXPECT_FALSE(q.limits.any());
}

TEST_P(StoreConformance, QuotaStorageInKibAndKeptAcrossRestart) {
  auto a = account();
  auto inbox = find(*a, "INBOX");
  ASSERT_FALSE(a->set_quota({2, kQuotaDefault, kQuotaDefault}));  // 2048 octets
  std::string big = message("s1", std::string(1500, 'x') + "\r\n");
  AppendResult r;
  ASSERT_FALSE(a->append(inbox.id, new_message(big), r));
  EXPECT_EQ(a->append(inbox.id, new_message(big), r), make_error_code(Errc::over_quota));
  EXPECT_EQ(find(*a, "INBOX").messages, 1u);
  a.reset();
  reopen();
  a = account();
  QuotaState q;
  ASSERT_FALSE(a->quota(q));
  EXPECT_EQ(q.own.storage_kib, 2u);
  EXPECT_EQ(q.own.messages, kQuotaDefault);
  EXPECT_EQ(q.limits.storage_kib, 2u);
  EXPECT_EQ(storage_kib(q.usage.storage), 2u);  // rounded up
  EXPECT_EQ(a->append(inbox.id, new_message(big), r), make_error_code(Errc::over_quota));
}

TEST_P(StoreConformance, QuotaMailboxLimitOnCreate) {
  auto a = account();
  ASSERT_FALSE(a->set_quota({kQuotaDefault, kQuotaDefault, 8}));  // 6 exist
  MailboxInfo made;
  // "a/b/c" would bring three: refused, and none of them made.
  EXPECT_EQ(a->create("a/b/c", SpecialUse::none, made), make_error_code(Errc::over_quota));
  EXPECT_EQ(a->find("a", made), make_error_code(Errc::no_such_mailbox));
  ASSERT_FALSE(a->create("a/b", SpecialUse::none, made));
  EXPECT_EQ(a->create("c", SpecialUse::none, made), make_error_code(Errc::over_quota));
  // Renaming keeps the count; deleting frees one.
  ASSERT_FALSE(a->rename("a/b", "a/d"));
  ASSERT_FALSE(a->remove("a/d"));
  ASSERT_FALSE(a->create("c", SpecialUse::none, made));
  // Delivery into a missing folder is never lost to the MAILBOX limit.
  std::string bytes = message("x");
  AppendResult r;
  ASSERT_FALSE(a->deliver("lists", new_message(bytes), "", false, r));
}

TEST_P(StoreConformance, QuotaWarningOncePerCrossing) {
  auto a = account();
  auto archive = find(*a, "Archive");
  auto inbox = find(*a, "INBOX");
  ASSERT_FALSE(a->set_quota({kQuotaDefault, 20, kQuotaDefault}));
  std::vector<Uid> uids;
  for (int i = 0; i < 17; ++i)
    uids.push_back(append(*a, archive.id, message("w" + std::to_string(i))));
  EXPECT_EQ(find(*a, "INBOX").messages, 0u);  // 85 %: no warning
  append(*a, archive.id, message("w17"));     // 18 of 20 = 90 %: the warning
  ASSERT_EQ(find(*a, "INBOX").messages, 1u);
  auto ms = messages(*a, inbox.id);
  ASSERT_EQ(ms.size(), 1u);
  std::string text = read_all(*a, inbox.id, ms[0].uid, 4096);
  EXPECT_NE(text.find("From: Postmaster <postmaster@example.org>"), std::string::npos);
  EXPECT_NE(text.find("Messages: 18 of 20 (90 %)"), std::string::npos) << text;
  // The warning itself counted (19 of 20); one more fits, no second warning.
  append(*a, archive.id, message("w18"));
  EXPECT_EQ(find(*a, "INBOX").messages, 1u);
  // A delivery at the limit is refused, the warning is not repeated.
  std::string bytes = message("w19");
  AppendResult r;
  EXPECT_EQ(a->deliver("", new_message(bytes), "k-w19", false, r),
            make_error_code(Errc::over_quota));
  EXPECT_EQ(find(*a, "INBOX").messages, 1u);
  // Below 90 % again, then across: a second warning (by delivery this time).
  std::vector<Uid> gone;
  ASSERT_FALSE(a->expunge(archive.id, {uids[0], uids[1], uids[2], uids[3], uids[4]}, gone));
  ASSERT_FALSE(a->deliver("Archive", new_message(bytes), "k-w19", false, r));  // 16 of 20
  EXPECT_EQ(find(*a, "INBOX").messages, 1u);
  std::string b2 = message("w20");
  ASSERT_FALSE(a->deliver("Archive", new_message(b2), "k-w20", false, r));  // 17
  EXPECT_EQ(find(*a, "INBOX").messages, 1u);
  std::string b3 = message("w21");
  ASSERT_FALSE(a->deliver("Archive", new_message(b3), "k-w21", false, r));  // 18: 90 %
  EXPECT_EQ(find(*a, "INBOX").messages, 2u);
}

TEST_P(StoreConformance, WatchNotifiesAfterCommit) {
  auto a = account();
  auto inbox = find(*a, "INBOX");
  auto sent = find(*a, "Sent");
  std::mutex mu;
  std::vector<Change> inbox_changes, all_changes;
  auto w1 = a->watch(inbox.id, [&](const Change& c) {
    std::lock_guard lock(mu);
    inbox_changes.push_back(c);
  });
  auto w2 = a->watch(0, [&](const Change& c) {
    std::lock_guard lock(mu);
    all_changes.push_back(c);
  });
  append(*a, inbox.id, message("w1"));
  append(*a, sent.id, message("w2"));
  AppendResult r;
  std::string bytes = message("w3");
  ASSERT_FALSE(a->deliver("", new_message(bytes), "", false, r));
  {
    std::lock_guard lock(mu);
    ASSERT_EQ(inbox_changes.size(), 2u);
    EXPECT_EQ(inbox_changes[0].mailbox, inbox.id);
    EXPECT_LT(inbox_changes[0].modseq, inbox_changes[1].modseq);
    EXPECT_EQ(inbox_changes[1].modseq, find(*a, "INBOX").highest_modseq);
    EXPECT_EQ(all_changes.size(), 3u);
  }
  // Seen from the callback: the change is committed.
  MailboxInfo seen_in_callback;
  auto w3 = a->watch(inbox.id, [&](const Change&) { a->find("INBOX", seen_in_callback); });
  append(*a, inbox.id, message("w4"));
  EXPECT_EQ(seen_in_callback.messages, 3u);
  w1.reset();
  w3.reset();
  std::vector<Uid> gone;
  ASSERT_FALSE(a->expunge(inbox.id, {1}, gone));
  std::lock_guard lock(mu);
  EXPECT_EQ(inbox_changes.size(), 3u);  // w4 only, not the expunge
  EXPECT_EQ(all_changes.size(), 5u);
}

// RFC 5465 NOTIFY: mailbox events (MailboxName, SubscriptionChange) reach the watchers of
// every mailbox with their kind and names; a watcher of one mailbox hears of its own only.
TEST_P(StoreConformance, WatchTellsMailboxEvents) {
  auto a = account();
  std::mutex mu;
  std::vector<Change> all, one;
  auto w = a->watch(0, [&](const Change& c) {
    std::lock_guard lock(mu);
    all.push_back(c);
  });
  MailboxInfo made;
  ASSERT_FALSE(a->create("Lists/A", SpecialUse::none, made));
  auto w1 = a->watch(made.id, [&](const Change& c) {
    std::lock_guard lock(mu);
    one.push_back(c);
  });
  ASSERT_FALSE(a->subscribe("Lists/A", true));
  ASSERT_FALSE(a->rename("Lists", "Groups"));
  ASSERT_FALSE(a->subscribe("Lists/A", false));
  ASSERT_FALSE(a->remove("Groups/A"));
  std::lock_guard lock(mu);
  std::vector<std::string> got;
  for (const auto& c : all) {
    switch (c.kind) {
      case Change::Kind::created:
        got.push_back("created " + c.name);
        break;
      case Change::Kind::deleted:
        got.push_back("deleted " + c.name);
        break;
      case Change::Kind::renamed:
        got.push_back("renamed " + c.old_name + " " + c.name);
        break;
      case Change::Kind::subscription:
        got.push_back(std::string(c.subscribed ? "subscribed " : "unsubscribed ") + c.name);
        EXPECT_EQ(c.mailbox, 0);
        break;
      case Change::Kind::messages:
      case Change::Kind::metadata:
        break;
    }
  }
  std::sort(got.begin() + 2, got.begin() + 4);  // the two renames, in either order
  EXPECT_EQ(got, (std::vector<std::string>{"created Lists/A", "subscribed Lists/A",
                                           "renamed Lists Groups", "renamed Lists/A Groups/A",
                                           "unsubscribed Lists/A", "deleted Groups/A"}));
  ASSERT_EQ(one.size(), 2u);  // its rename and its deletion
  EXPECT_EQ(one[0].kind, Change::Kind::renamed);
  EXPECT_EQ(one[1].kind, Change::Kind::deleted);
  EXPECT_EQ(one[1].mailbox, made.id);
}

// RFC 5465 MailboxMetadataChange / ServerMetadataChange: each entry set or removed is told to
// the watchers of every mailbox, with its mailbox (0: the server) and its user.
TEST_P(StoreConformance, WatchTellsMetadataChanges) {
  auto a = account();
  MailboxInfo box;
  ASSERT_FALSE(a->create("Notes", SpecialUse::none, box));
  std::mutex mu;
  std::vector<Change> all;
  auto w = a->watch(0, [&](const Change& c) {
    std::lock_guard lock(mu);
    all.push_back(c);
  });
  std::vector<MetadataChange> set{{"", "/shared/comment", std::string("x")},
                                  {"alice", "/private/comment", std::nullopt}};
  ASSERT_FALSE(a->set_metadata(box.id, set));
  std::vector<MetadataChange> server{{"alice", "/private/vendor/x", std::string("y")}};
  ASSERT_FALSE(a->set_metadata(0, server));
  std::lock_guard lock(mu);
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].kind, Change::Kind::metadata);
  EXPECT_EQ(all[0].mailbox, box.id);
  EXPECT_EQ(all[0].name, "/shared/comment");
  EXPECT_EQ(all[0].user, "");
  EXPECT_EQ(all[1].name, "/private/comment");
  EXPECT_EQ(all[1].user, "alice");
  EXPECT_EQ(all[2].mailbox, 0u);
  EXPECT_EQ(all[2].name, "/private/vendor/x");
}

TEST_P(StoreConformance, CachedFieldsAfterAppend) {
  auto a = account();
  auto inbox = find(*a, "INBOX");
  std::string mime =
      "From: =?UTF-8?Q?J=C3=B6rg?= <joerg@example.org>\r\nTo: bob@example.org\r\n"
      "Subject: Structure\r\nDate: Tue, 01 Dec 2026 10:00:00 +0100\r\nMIME-Version: 1.0\r\n"
      "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n"
      "hello\r\n--b\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n"
      "AAAA\r\n--b--\r\n";
  Uid uid = append(*a, inbox.id, mime);
  CachedFields c;
  ASSERT_FALSE(a->cached(inbox.id, uid, c));
  EXPECT_NE(c.envelope.find("\"Structure\""), std::string::npos) << c.envelope;
  EXPECT_NE(c.envelope.find("\"joerg\" \"example.org\""), std::string::npos) << c.envelope;
  EXPECT_NE(c.body_structure.find("\"mixed\""), std::string::npos) << c.body_structure;
  EXPECT_NE(c.body_structure.find("\"pdf\""), std::string::npos);
  EXPECT_NE(c.body.find("\"mixed\""), std::string::npos);
  EXPECT_LT(c.body.size(), c.body_structure.size());
  EXPECT_EQ(c.header.rfind("From: ", 0), 0u);
  EXPECT_EQ(c.header.substr(c.header.size() - 4), "\r\n\r\n");
  EXPECT_EQ(c.sent_date, 1796115600);  // 2026-12-01T09:00:00Z
  EXPECT_EQ(c.sent_tz, 60);
  EXPECT_EQ(a->cached(inbox.id, 999, c), std::error_code(Errc::no_such_message));
}

// RFC 8970 PREVIEW: computed when the message is stored, kept through a reopen and through
// rebuild_index (recomputed from the message), kept by COPY; "" without text.
TEST_P(StoreConformance, PreviewKeptAndRebuilt) {
  auto a = account();
  auto inbox = find(*a, "INBOX");
  Uid with_text = append(*a, inbox.id,
                         "Subject: p\r\nContent-Type: text/plain; charset=iso-8859-1\r\n"
                         "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
                         "  Caf=E9\r\n\r\n  ouvert =\r\ndemain.\r\n");
  Uid no_text = append(*a, inbox.id, "Subject: q\r\nContent-Type: image/gif\r\n\r\nGIF89a\r\n");
  auto check = [&](Account& acc, MailboxId box, Uid u1, Uid u2) {
    CachedFields c;
    ASSERT_FALSE(acc.cached(box, u1, c));
    EXPECT_EQ(c.preview, "Caf\xC3\xA9 ouvert demain.");
    ASSERT_FALSE(acc.cached(box, u2, c));
    EXPECT_EQ(c.preview, "");
    std::vector<std::optional<CachedFields>> many;
    std::vector<Uid> uids{u1, u2};
    ASSERT_FALSE(acc.cached_many(box, uids, many));
    ASSERT_EQ(many.size(), 2u);
    ASSERT_TRUE(many[0].has_value());
    EXPECT_EQ(many[0]->preview, "Caf\xC3\xA9 ouvert demain.");
  };
  check(*a, inbox.id, with_text, no_text);
  auto archive = find(*a, "Archive");
  CopyResult copied;
  ASSERT_FALSE(a->copy(inbox.id, {with_text, no_text}, archive.id, copied));
  ASSERT_EQ(copied.target.size(), 2u);
  check(*a, archive.id, copied.target[0], copied.target[1]);
  a.reset();
  reopen();
  a = account();
  check(*a, inbox.id, with_text, no_text);
  IndexReport report;
  ASSERT_FALSE(a->rebuild_index(report));
  inbox = find(*a, "INBOX");
  auto ms = messages(*a, inbox.id);
  ASSERT_EQ(ms.size(), 2u);
  check(*a, inbox.id, ms[0].uid, ms[1].uid);
}

// RFC 5256 SORT / THREAD keys (Account::sort_keys): computed at append, one read for the
// whole mailbox, only the fields asked for, carried by COPY, the same after a rebuild.
TEST_P(StoreConformance, SortKeys) {
  auto a = account();
  auto inbox = find(*a, "INBOX");
  append(*a, inbox.id,
         "From: =?UTF-8?Q?J=C3=B6rg?= <Joerg@example.org>\r\nTo: team: bob@example.org;\r\n"
         "Cc: \"Carl\" <carl@example.org>\r\nSubject: Re: [list] =?UTF-8?Q?Caf=C3=A9?= (fwd)\r\n"
         "Message-ID: <m2@example.org>\r\nReferences: <m0@x> <m1@x>\r\n"
         "In-Reply-To: <m1@x>\r\nDate: Tue, 01 Dec 2026 10:00:00 +0100\r\n\r\nbody\r\n");
  append(*a, inbox.id,
         "From: alice@example.org\r\nSubject: plain\r\nIn-Reply-To: <m2@example.org> (x)\r\n"
         "\r\nbody\r\n");
  auto check = [&](Account& acc, MailboxId box) {
    std::vector<MessageSortKeys> ks;
    ASSERT_FALSE(acc.sort_keys(box, ~0u, ks));
    ASSERT_EQ(ks.size(), 2u);
    EXPECT_LT(ks[0].uid, ks[1].uid);
    EXPECT_EQ(ks[0].sent_date, 1796115600);
    EXPECT_EQ(ks[1].sent_date, 0);
    const SortKeys& k = ks[0].keys;
    EXPECT_EQ(k.subject, "CAFE\xcc\x81");
    EXPECT_TRUE(k.reply);
    EXPECT_EQ(k.from, "JOERG");
    EXPECT_EQ(k.to, "TEAM");  // a group: its name, as ENVELOPE shows it
    EXPECT_EQ(k.cc, "CARL");
    EXPECT_EQ(k.display_from, "JO\xcc\x88RG");
    EXPECT_EQ(k.display_to, "TEAM");
    EXPECT_EQ(k.message_id, "m2@example.org");
    EXPECT_EQ(k.references, "m0@x m1@x");
    const SortKeys& k2 = ks[1].keys;
    EXPECT_EQ(k2.subject, "PLAIN");
    EXPECT_FALSE(k2.reply);
    EXPECT_EQ(k2.display_from, "ALICE@EXAMPLE.ORG");
    EXPECT_EQ(k2.to, "");
    EXPECT_EQ(k2.message_id, "");
    EXPECT_EQ(k2.references, "m2@example.org");  // no References: In-Reply-To
    ASSERT_FALSE(acc.sort_keys(box, kSortFrom, ks));
    ASSERT_EQ(ks.size(), 2u);
    EXPECT_EQ(ks[0].keys.from, "JOERG");
    EXPECT_EQ(ks[0].keys.subject, "");
    EXPECT_EQ(ks[0].keys.references, "");
    EXPECT_EQ(ks[0].sent_date, 1796115600);
  };
  check(*a, inbox.id);
  MailboxInfo other;
  ASSERT_FALSE(a->create("Other", SpecialUse::none, other));
  CopyResult cr;
  ASSERT_FALSE(a->copy(inbox.id, {1, 2}, other.id, cr));
  check(*a, other.id);
  IndexReport report;
  ASSERT_FALSE(a->rebuild_index(report));
  ASSERT_FALSE(a->find("INBOX", inbox));
  check(*a, inbox.id);
  std::vector<MessageSortKeys> ks;
  EXPECT_TRUE(a->sort_keys(987654, ~0u, ks));
}

// Account::sort_table follows the mailbox: a message added or removed, and a mailbox deleted
// and made again with as many messages (it may get the same id) give the new keys.
TEST_P(StoreConformance, SortTableFollowsTheMailbox) {
  auto a = account();
  auto subjects = [&](MailboxId box) {
    std::shared_ptr<const SortTable> t;
    EXPECT_FALSE(a->sort_table(box, t));
    std::vector<std::string> out;
    if (t)
      for (const auto& r : t->rows()) out.push_back(r.keys.subject);
    return out;
  };
  using V = std::vector<std::string>;
  MailboxInfo box;
  ASSERT_FALSE(a->create("Sorted", SpecialUse::none, box));
  append(*a, box.id, "Subject: one\r\n\r\nx\r\n");
  EXPECT_EQ(subjects(box.id), (V{"ONE"}));
  append(*a, box.id, "Subject: two\r\n\r\nx\r\n");
  EXPECT_EQ(subjects(box.id), (V{"ONE", "TWO"}));
  std::vector<Uid> gone;
  ASSERT_FALSE(a->expunge(box.id, {1}, gone));
  EXPECT_EQ(subjects(box.id), (V{"TWO"}));
  ASSERT_FALSE(a->remove("Sorted"));
  ASSERT_FALSE(a->create("Sorted", SpecialUse::none, box));
  append(*a, box.id, "Subject: three\r\n\r\nx\r\n");
  append(*a, box.id, "Subject: four\r\n\r\nx\r\n");
  ASSERT_FALSE(a->expunge(box.id, {1}, gone));
  EXPECT_EQ(subjects(box.id), (V{"FOUR"}));
}

// RFC 5464 METADATA: server (0) and mailbox entries, private per user and shared, binary
// values, all-or-nothing changes with the entry limit, kept through RENAME, a reopen and
// rebuild_index, dropped with DELETE.
TEST_P(StoreConformance, MetadataKeptRenamedRebuiltAndDropped) {
  auto a = account();
  MailboxInfo box;
  ASSERT_FALSE(a->create("Notes", SpecialUse::none, box));
  std::string binary("a\0b\r\n\xff", 6);
  std::vector<MetadataChange> set{
      {"", "/shared/comment", std::string("shared words")},
      {"alice", "/private/comment", binary},
      {"bob", "/private/comment", std::string("bob's")},
      {"", "/shared/empty", std::string()},
  };
  ASSERT_FALSE(a->set_metadata(box.id, set));
  std::vector<MetadataChange> server{{"alice", "/private/vendor/x/motd", std::string("hi")}};
  ASSERT_FALSE(a->set_metadata(0, server));
  const std::vector<MetadataEntry> expected{
      {"alice", "/private/comment", binary},
      {"bob", "/private/comment", "bob's"},
      {"", "/shared/comment", "shared words"},
      {"", "/shared/empty", ""},
  };
  std::vector<MetadataEntry> got;
  ASSERT_FALSE(a->metadata(box.id, got));
  EXPECT_EQ(got, expected);
  // Removing, and removing what is not there.
  std::vector<MetadataChange> del{{"bob", "/private/comment", std::nullopt},
                                  {"", "/shared/none", std::nullopt}};
  ASSERT_FALSE(a->set_metadata(box.id, del));
  ASSERT_FALSE(a->metadata(box.id, got));
  EXPECT_EQ(got.size(), 3u);
  // Too many: nothing of the change is applied.
  std::vector<MetadataChange> many;
  for (std::size_t i = 0; i < kMaxMetadataEntries; ++i)
    many.push_back({"", "/shared/n" + std::to_string(i), std::string("v")});
  EXPECT_EQ(a->set_metadata(box.id, many), std::error_code(Errc::too_many_metadata));
  ASSERT_FALSE(a->metadata(box.id, got));
  EXPECT_EQ(got.size(), 3u);
  many.resize(kMaxMetadataEntries - 3);
  EXPECT_FALSE(a->set_metadata(box.id, many));
  std::vector<MetadataChange> one_more{{"", "/shared/last", std::string("v")}};
  EXPECT_EQ(a->set_metadata(box.id, one_more), std::error_code(Errc::too_many_metadata));
  std::vector<MetadataChange> undo;
  for (const auto& c : many) undo.push_back({c.user, c.name, std::nullopt});
  ASSERT_FALSE(a->set_metadata(box.id, undo));
  EXPECT_EQ(a->set_metadata(424242, set), std::error_code(Errc::no_such_mailbox));
  EXPECT_EQ(a->metadata(424242, got), std::error_code(Errc::no_such_mailbox));
  // RENAME keeps them; a reopen and a rebuild too.
  ASSERT_FALSE(a->rename("Notes", "Archive/Notes"));
  auto check = [&](Account& acc) {
    MailboxInfo renamed = find(acc, "Archive/Notes");
    std::vector<MetadataEntry> e;
    ASSERT_FALSE(acc.metadata(renamed.id, e));
    EXPECT_EQ(e, (std::vector<MetadataEntry>{expected[0], expected[2], expected[3]}));
    ASSERT_FALSE(acc.metadata(0, e));
    EXPECT_EQ(e, (std::vector<MetadataEntry>{{"alice", "/private/vendor/x/motd", "hi"}}));
  };
  check(*a);
  a.reset();
  reopen();
  a = account();
  check(*a);
  IndexReport report;
  ASSERT_FALSE(a->rebuild_index(report));
  check(*a);
  // DELETE drops them: a new mailbox of the same name starts empty.
  ASSERT_FALSE(a->remove("Archive/Notes"));
  ASSERT_FALSE(a->create("Archive/Notes", SpecialUse::none, box));
  ASSERT_FALSE(a->metadata(box.id, got));
  EXPECT_TRUE(got.empty());
  ASSERT_FALSE(a->rebuild_index(report));
  box = find(*a, "Archive/Notes");
  ASSERT_FALSE(a->metadata(box.id, got));
  EXPECT_TRUE(got.empty());
}

// Whether a message ends with a line end (POP3 sizes), kept through a reopen.
TEST_P(StoreConformance, EndsWithLineEnd) {
  auto a = account();
  auto inbox = find(*a, "INBOX");
  append(*a, inbox.id, "Subject: a\r\n\r\nends well\r\n");
  append(*a, inbox.id, "Subject: b\r\n\r\nno line end");
  append(*a, inbox.id, "Subject: c\r\n\r\nbare LF\n");
  auto check = [&](Account& acc) {
    auto ms = messages(acc, inbox.id);
    ASSERT_EQ(ms.size(), 3u);
    EXPECT_TRUE(ms[0].ends_with_line_end);
    EXPECT_FALSE(ms[1].ends_with_line_end);
    EXPECT_TRUE(ms[2].ends_with_line_end);
    CachedFields c;
    ASSERT_FALSE(acc.cached(inbox.id, ms[1].uid, c));
    EXPECT_FALSE(c.ends_with_line_end);
  };
  check(*a);
  a.reset();
  reopen();
  a = account();
  check(*a);
}

TEST_P(StoreConformance, OpenManyAtOnce) {
  auto a = account();
  auto inbox = find(*a, "INBOX");
  std::vector<std::string> bytes;
  for (int i = 0; i < 3; ++i) {
    bytes.push_back(message("m" + std::to_string(i)));
    append(*a, inbox.id, bytes.back());
  }
  std::vector<Uid> gone;
  ASSERT_FALSE(a->expunge(inbox.id, {2}, gone));
  const std::vector<Uid> uids{3, 2, 1, 77};
  std::vector<std::unique_ptr<Blob>> blobs;
  ASSERT_FALSE(a->open_many(inbox.id, uids, blobs));
  ASSERT_EQ(blobs.size(), 4u);
  ASSERT_TRUE(blobs[0] && blobs[2]);
  EXPECT_FALSE(blobs[1]);  // expunged
  EXPECT_FALSE(blobs[3]);  // never there
  std::string out;
  ASSERT_FALSE(blobs[0]->read(0, bytes[2].size(), out));
  EXPECT_EQ(out, bytes[2]);
  ASSERT_FALSE(blobs[2]->read(0, bytes[0].size(), out));
  EXPECT_EQ(out, bytes[0]);
  EXPECT_EQ(a->open_many(12345, uids, blobs), std::error_code(Errc::no_such_mailbox));
}

TEST_P(StoreConformance, BlobReadsInPieces) {
  auto a = account();
  auto inbox = find(*a, "INBOX");
  std::string body;
  for (int i = 0; i < 5000; ++i) body += "line " + std::to_string(i) + "\r\n";
  std::string bytes = message("big", body);
  Uid uid = append(*a, inbox.id, bytes);
  std::unique_ptr<Blob> blob;
  ASSERT_FALSE(a->open(inbox.id, uid, blob));
  EXPECT_EQ(blob->size(), bytes.size());
  for (std::size_t piece : {1u, 7u, 4096u, 100000u})
    EXPECT_EQ(read_all(*a, inbox.id, uid, piece), bytes) << piece;
  std::string out = "junk";
  ASSERT_FALSE(blob->read(bytes.size() - 3, 10, out));
  EXPECT_EQ(out, bytes.substr(bytes.size() - 3));
  ASSERT_FALSE(blob->read(bytes.size() + 5, 10, out));
  EXPECT_EQ(out, "");
  // A blob stays readable after its message is expunged.
  std::vector<Uid> gone;
  ASSERT_FALSE(a->expunge(inbox.id, {uid}, gone));
  ASSERT_FALSE(blob->read(0, 4, out));
  EXPECT_EQ(out, "From");
  EXPECT_EQ(a->open(inbox.id, uid, blob), std::error_code(Errc::no_such_message));
}

TEST_P(StoreConformance, BareLfStoredAsCrlfUnlessKept) {
  auto a = account();
  auto inbox = find(*a, "INBOX");
  const std::string head =
      "Subject: lf\r\nContent-Type: application/octet-stream\r\n"
      "Content-Transfer-Encoding: binary\r\n\r\n";
  std::string data = head + std::string("\0a\nb\r\n\n", 7);
  // Text (a plain APPEND literal, delivery): each bare LF is stored as CRLF.
  Uid text = append(*a, inbox.id, data);
  // Binary (RFC 3516 literal8): stored as given; RFC822.SIZE counts each bare LF as CRLF,
  // the size IMAP and POP3 serve.
  NewMessage m = new_message(data);
  m.keep_bare_lf = true;
  AppendResult r;
  ASSERT_FALSE(a->append(inbox.id, m, r));
  // A binary message larger than one write buffer, bare LFs at a piece boundary too.
  std::string big = head;
  while (big.size() < 200000) big += "0123456789abcdef\n";
  NewMessage mb = new_message(big);
  mb.keep_bare_lf = true;
  AppendResult rb;
  ASSERT_FALSE(a->append(inbox.id, mb, rb));
  const auto big_lfs = static_cast<std::uint64_t>(std::count(big.begin(), big.end(), '\n') -
                                                  std::count(head.begin(), head.end(), '\n'));
  for (int pass = 0; pass < 2; ++pass) {
    SCOPED_TRACE(pass == 0 ? "as appended" : "after a restart");
    auto ms = messages(*a, inbox.id);
    ASSERT_EQ(ms.size(), 3u);
    EXPECT_EQ(ms[0].size, data.size() + 2);
    EXPECT_EQ(read_all(*a, inbox.id, text, 4096), head + std::string("\0a\r\nb\r\n\r\n", 9));
    EXPECT_EQ(ms[1].size, data.size() + 2);
    EXPECT_EQ(read_all(*a, inbox.id, r.uid, 4096), data);
    EXPECT_EQ(ms[2].size, big.size() + big_lfs);
    EXPECT_EQ(read_all(*a, inbox.id, rb.uid, 65536), big);
    MailboxInfo info = find(*a, "INBOX");
    EXPECT_EQ(info.size, 2 * (data.size() + 2) + big.size() + big_lfs);
    CachedFields c;
    ASSERT_FALSE(a->cached(inbox.id, r.uid, c));
    EXPECT_EQ(c.header, head);
    a.reset();
    reopen();
    a = account();
  }
}

TEST_P(StoreConformance, AccountsAreSeparate) {
  auto a = account("alice@example.org");
  auto b = account("bob@example.org");
  append(*a, find(*a, "INBOX").id, message("for alice"));
  EXPECT_EQ(find(*b, "INBOX").messages, 0u);
  std::shared_ptr<Account> again;
  ASSERT_FALSE(store_->account("alice@example.org", again));
  EXPECT_EQ(find(*again, "INBOX").messages, 1u);
  a.reset();
  again.reset();
  ASSERT_FALSE(store_->remove_account("alice@example.org"));
  EXPECT_EQ(find(*account("alice@example.org"), "INBOX").messages, 0u);
}

TEST_P(StoreConformance, ConcurrentWritersNeverLoseOrReuse) {
  auto a = account();
  auto inbox = find(*a, "INBOX");
  constexpr int kThreads = 3;
  constexpr int kPerThread = 20;
  std::atomic<int> delivered{0};
  std::atomic<bool> done{false};
  std::mutex mu;
  std::set<Uid> assigned;
  std::vector<Uid> all_expunged;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        std::string bytes = message("t" + std::to_string(t) + "-" + std::to_string(i));
        AppendResult r;
        std::error_code ec = a->deliver(
            "", new_message(bytes), "key-" + std::to_string(t) + "-" + std::to_string(i), false, r);
        EXPECT_FALSE(ec) << ec.message();
        std::lock_guard lock(mu);
        EXPECT_TRUE(assigned.insert(r.uid).second) << "UID " << r.uid << " given twice";
        ++delivered;
      }
    });
  }
  std::thread expunger([&] {
    // Marks and expunges every other message as they arrive, in another "session".
    for (int round = 0; round < 200 && !done; ++round) {
      MailboxInfo info;
      std::vector<MessageInfo> ms;
      if (a->snapshot(inbox.id, info, ms)) continue;
      std::vector<Uid> odd;
      for (const auto& m : ms)
        if (m.uid % 2 == 1) odd.push_back(m.uid);
      FlagUpdate up;
      up.mode = FlagUpdate::Mode::add;
      up.flags.system = kDeleted;
      FlagResult fr;
      EXPECT_FALSE(a->update_flags(inbox.id, odd, up, fr));
      std::vector<Uid> gone;
      EXPECT_FALSE(a->expunge(inbox.id, odd, gone));
      std::lock_guard lock(mu);
      all_expunged.insert(all_expunged.end(), gone.begin(), gone.end());
    }
  });
  for (auto& t : threads) t.join();
  done = true;
  expunger.join();
  EXPECT_EQ(delivered.load(), kThreads * kPerThread);
  MailboxInfo info;
  auto ms = messages(*a, inbox.id, &info);
  const auto left_uids = uids_of(ms);
  std::set<Uid> left(left_uids.begin(), left_uids.end());
  std::set<Uid> gone(all_expunged.begin(), all_expunged.end());
  EXPECT_EQ(gone.size(), all_expunged.size()) << "a UID expunged twice";
  EXPECT_EQ(left.size() + gone.size(), static_cast<std::size_t>(kThreads * kPerThread));
  for (Uid u : left) EXPECT_FALSE(gone.count(u));
  for (Uid u : assigned) EXPECT_TRUE(left.count(u) || gone.count(u)) << u;
  EXPECT_EQ(info.uid_next, static_cast<Uid>(kThreads * kPerThread + 1));
  EXPECT_EQ(*assigned.rbegin(), static_cast<Uid>(kThreads * kPerThread));
}

}  // namespace estafeta::store
