// imap_session_replace: REPLACE and UID REPLACE (RFC 8508) of the session: the new message is
// appended to the target mailbox (any mailbox, the selected one too), then the source message
// of the selected mailbox is expunged — whatever its \Deleted flag (§3.3). The APPENDUID of
// the new message goes in an untagged OK before the EXPUNGE (or VANISHED) of the source,
// since the tagged OK covers both (§3.3, §3.4). Nothing is expunged when the append fails (no
// such target: NO [TRYCREATE]; too big: NO [TOOBIG]); when the expunge fails, the appended
// copy is removed again and the answer is NO. A read-only (EXAMINEd) mailbox refuses REPLACE
// (NO [READ-ONLY]), a message number beyond the mailbox is BAD, a UID that is not in it NO.
// Memory: the message literal (bounded by the APPENDLIMIT the reader enforces).
#include "imap/proto/imap_acl.hpp"
#include "imap/proto/imap_session.hpp"
#include "imap/proto/imap_session_selected.hpp"

namespace estafeta::imap {

void Session::cmd_replace(const Command& c, const Replace& r) {
  SelectedMailbox& s = *selected_;
  SequenceSet set;
  set.ranges.push_back({r.number, r.number});
  std::vector<std::uint32_t> indexes;
  if (!resolve_set(c, set, r.uid, indexes)) return;  // BAD for a number past the end
  if (indexes.empty()) {
    tagged_no(c.tag, "Message doesn't exist.");  // a UID that is not (or no longer) here
    return;
  }
  if (s.read_only) {
    tagged_no(c.tag, "[READ-ONLY] Mailbox is read-only.");
    return;
  }
  const SelectedMailbox::Entry& source = s.messages[indexes.front()];
  if (source.expunged) {
    tagged_no(c.tag, "[EXPUNGEISSUED] Message was expunged.");
    return;
  }
  const store::Uid source_uid = source.uid;
  // RFC 8508 §3.1 with RFC 4314: the source needs the rights to delete and expunge it, the
  // target those of APPEND.
  if ((s.rights & (acl::kDeleteMessage | acl::kExpunge)) != (acl::kDeleteMessage | acl::kExpunge)) {
    tagged_no(c.tag, "[NOPERM] Permission denied.");
    return;
  }
  MailboxRef dest;
  if (!mailbox_for(c, r.mailbox, acl::kInsert, dest, "[TRYCREATE] Mailbox doesn't exist.")) return;
  store::NewMessage nm;
  if (!new_message_of(c, r.message, nm)) return;
  drop_forbidden_flags(nm.flags, dest.rights);  // RFC 4314 §4: silently
  store::AppendResult appended;
  if (auto ec = dest.account->append(dest.info.id, nm, appended)) {
    tagged_no(c.tag, store_error_text(ec));
    return;
  }
  std::vector<store::Uid> removed;
  if (auto ec = s.account->expunge(s.info.id, {source_uid}, removed)) {
    std::vector<store::Uid> undone;
    dest.account->expunge(dest.info.id, {appended.uid}, undone);
    tagged_no(c.tag, store_error_text(ec));
    return;
  }
  send("* OK [APPENDUID " + std::to_string(appended.uid_validity) + " " +
       std::to_string(appended.uid) + "] Replacement Message ID\r\n");
  s.dirty = true;
  sync(true);
  tagged_ok(c.tag, "Replace completed.");
}

}  // namespace estafeta::imap
