// imap_notify: what a session asked NOTIFY (RFC 5465) to tell it, as a filter the session
// asks per mailbox: which events it wants for a mailbox name (RFC 5465 §6: INBOXES,
// PERSONAL, SUBSCRIBED, SUBTREE, MAILBOXES), and for the selected mailbox (SELECTED /
// SELECTED-DELAYED, §6.1, with MessageNew's FETCH attributes). No I/O: the session gives it
// the mailbox's name, whether it is subscribed and whether it is in the personal namespace.
// Built from a parsed imap::Notify whose names the session has decoded to UTF-8. Memory: the
// command's groups and names (bounded by the parser's limits).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "imap/proto/imap_command.hpp"

namespace estafeta::imap {

class NotifyFilter {
 public:
  // The events the server supports (RFC 5465 §3.1 BADEVENT lists them).
  static constexpr std::uint16_t kSupported =
      NotifyGroup::kMessageNew | NotifyGroup::kMessageExpunge | NotifyGroup::kFlagChange |
      NotifyGroup::kMailboxName | NotifyGroup::kSubscriptionChange |
      NotifyGroup::kMailboxMetadataChange | NotifyGroup::kServerMetadataChange;
  // "MessageNew MessageExpunge FlagChange MailboxName SubscriptionChange
  // MailboxMetadataChange ServerMetadataChange".
  static std::string supported_names();

  // `groups` as parsed, with subtree/mailboxes names replaced by their UTF-8 form
  // (store::canonical_mailbox_name applied here).
  explicit NotifyFilter(std::vector<NotifyGroup> groups);

  // Events asked for the non-selected mailbox `name` (UTF-8, canonical).
  std::uint16_t events_for(std::string_view name, bool subscribed, bool personal) const;
  // Message events asked for the selected mailbox (0: none, RFC 5465 §3.1 "SELECTED NONE").
  std::uint16_t selected_events() const { return selected_events_; }
  bool selected_delayed() const { return selected_delayed_; }
  // MessageNew's FETCH attributes for the selected mailbox (empty: none).
  const std::vector<FetchItem>& new_message_fetch() const { return new_fetch_; }
  // True when some group watches mailboxes other than the selected one.
  bool watches_others() const;
  // True when some group asks for ServerMetadataChange (RFC 5465 §5.8: not tied to a mailbox).
  bool wants_server_metadata() const;
  // The names of the MAILBOXES and SUBTREE groups that ask for some event (to find the
  // other users' accounts whose shared mailboxes they name).
  std::vector<std::string> named_mailboxes() const;
  // True when some group is SUBSCRIBED (the session then reads the subscriptions).
  bool uses_subscriptions() const;

 private:
  std::vector<NotifyGroup> others_;
  std::uint16_t selected_events_ = 0;
  bool selected_delayed_ = false;
  std::vector<FetchItem> new_fetch_;
};

}  // namespace estafeta::imap
