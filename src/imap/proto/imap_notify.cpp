// imap_notify: see the header.
#include "imap/proto/imap_notify.hpp"

#include "store/api/store.hpp"

namespace estafeta::imap {

std::string NotifyFilter::supported_names() {
  return "MessageNew MessageExpunge FlagChange MailboxName SubscriptionChange "
         "MailboxMetadataChange ServerMetadataChange";
}

NotifyFilter::NotifyFilter(std::vector<NotifyGroup> groups) {
  using F = NotifyGroup::Filter;
  for (auto& g : groups) {
    if (g.filter == F::selected || g.filter == F::selected_delayed) {
      selected_events_ = g.events;
      selected_delayed_ = g.filter == F::selected_delayed;
      new_fetch_ = std::move(g.fetch);
      continue;
    }
    for (auto& n : g.mailboxes) n = store::canonical_mailbox_name(n);
    others_.push_back(std::move(g));
  }
}

std::uint16_t NotifyFilter::events_for(std::string_view name, bool subscribed,
                                       bool personal) const {
  using F = NotifyGroup::Filter;
  std::uint16_t out = 0;
  for (const auto& g : others_) {
    bool match = false;
    switch (g.filter) {
      case F::selected:
      case F::selected_delayed:
        break;
      // RFC 5465 §6.3: a server that cannot tell where an MDA delivers treats INBOXES as
      // PERSONAL (local delivery here may file into any mailbox).
      case F::inboxes:
      case F::personal:
        match = personal;
        break;
      case F::subscribed:
        match = subscribed;
        break;
      case F::subtree:  // §6.5: the mailbox and every inferior
        for (const auto& n : g.mailboxes)
          match = match || name == n ||
                  (name.size() > n.size() && name.compare(0, n.size(), n) == 0 &&
                   name[n.size()] == '/');
        break;
      case F::mailboxes:  // §6.6: no wildcards
        for (const auto& n : g.mailboxes) match = match || name == n;
        break;
    }
    if (match) out |= g.events;
  }
  return out;
}

bool NotifyFilter::watches_others() const {
  for (const auto& g : others_)
    if (g.events != 0) return true;
  return false;
}

bool NotifyFilter::wants_server_metadata() const {
  for (const auto& g : others_)
    if (g.events & NotifyGroup::kServerMetadataChange) return true;
  return (selected_events_ & NotifyGroup::kServerMetadataChange) != 0;
}

std::vector<std::string> NotifyFilter::named_mailboxes() const {
  std::vector<std::string> out;
  for (const auto& g : others_)
    if (g.events != 0 &&
        (g.filter == NotifyGroup::Filter::subtree || g.filter == NotifyGroup::Filter::mailboxes))
      out.insert(out.end(), g.mailboxes.begin(), g.mailboxes.end());
  return out;
}

bool NotifyFilter::uses_subscriptions() const {
  for (const auto& g : others_)
    if (g.filter == NotifyGroup::Filter::subscribed) return true;
  return false;
}

}  // namespace estafeta::imap
