// imap_session_uidonly: UIDONLY (RFC 9586) in the session: which commands are refused with
// BAD [UIDREQUIRED] once it is enabled (§3.1: FETCH, STORE, SEARCH, SORT, THREAD, COPY, MOVE and
// REPLACE by message number, a SEARCH key that is a message set, even in UID SEARCH, and a QRESYNC
// SELECT with its message-number pair "(seq-set uid-set)"), and the head of a FETCH response,
// which becomes "* <uid> UIDFETCH (" (§3.3). EXPUNGE responses become VANISHED (§3.2; see
// vanished_responses()), as under QRESYNC. Commands without message numbers (UID FETCH,
// EXPUNGE, UID EXPUNGE, ...) are unchanged. No state of its own beyond the enabled flag.
#include "imap/proto/imap_session.hpp"

namespace estafeta::imap {
namespace {

bool key_has_sequence_set(const SearchKey& k) {
  if (k.kind == SearchKey::Kind::sequence) return true;
  for (const SearchKey& c : k.children)
    if (key_has_sequence_set(c)) return true;
  return false;
}

}  // namespace

bool Session::needs_sequence_numbers(const Command& c) const {
  if (const auto* f = std::get_if<Fetch>(&c.body)) return !f->uid;
  if (const auto* s = std::get_if<imap::Store>(&c.body)) return !s->uid;
  if (const auto* cp = std::get_if<Copy>(&c.body)) return !cp->uid;
  if (const auto* r = std::get_if<Replace>(&c.body)) return !r->uid;
  if (const auto* se = std::get_if<Search>(&c.body))
    return !se->uid || key_has_sequence_set(se->key);
  if (const auto* so = std::get_if<Sort>(&c.body))  // SORT and THREAD answer with numbers
    return !so->uid || key_has_sequence_set(so->key);
  if (const auto* th = std::get_if<Thread>(&c.body))
    return !th->uid || key_has_sequence_set(th->key);
  if (const auto* sel = std::get_if<Select>(&c.body))
    return sel->qresync && sel->qresync->seq_match.has_value();
  return false;
}

std::string Session::fetch_head(std::uint32_t seq, store::Uid uid) const {
  if (enabled_uidonly_) return "* " + std::to_string(uid) + " UIDFETCH (";
  return "* " + std::to_string(seq) + " FETCH (";
}

}  // namespace estafeta::imap
