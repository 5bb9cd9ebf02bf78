// imap_parser_notify: see the header. RFC 5465 §8:
//   notify = "NOTIFY" SP (notify-set / notify-none)
//   notify-set = "SET" [SP "STATUS"] SP event-group *(SP event-group)
//   event-group = "(" filter-mailboxes SP events ")"
//   filter-mailboxes = "selected" / "selected-delayed" / "inboxes" / "personal" /
//                      "subscribed" / ("subtree" SP one-or-more-mailbox) /
//                      ("mailboxes" SP one-or-more-mailbox)
//   events = ("(" event *(SP event) ")") / "NONE"
// A single event may come without parentheses, as in the RFC's examples.
// RFC 5465 §5 asks for BAD when MessageNew comes without MessageExpunge (or FlagChange without
// both); like Dovecot this is enforced for SELECTED / SELECTED-DELAYED only: for other
// mailboxes Dovecot accepts them and imaptest's "notify" group relies on it.
#include "imap/proto/imap_parser_notify.hpp"

namespace estafeta::imap {
namespace {

bool fail(std::string* error, const char* text) {
  if (error && error->empty()) *error = text;
  return false;
}

bool one_or_more_mailbox(Lexer& lx, const Limits& limits, std::vector<std::string>& out,
                         std::string* error) {
  if (!lx.consume('(')) {
    auto m = lx.astring();
    if (!m) return fail(error, "Invalid mailbox name");
    out.push_back(std::move(*m));
    return true;
  }
  do {
    if (out.size() >= limits.max_list_items) return fail(error, "Too many mailboxes");
    auto m = lx.astring();
    if (!m) return fail(error, "Invalid mailbox name");
    out.push_back(std::move(*m));
  } while (lx.sp());
  return lx.consume(')') || fail(error, "Invalid mailbox list");
}

bool event(Lexer& lx, const Limits& limits, const FetchAttParser& fetch_att, NotifyGroup& g,
           std::string* error) {
  using G = NotifyGroup;
  struct Name {
    const char* name;
    std::uint16_t bit;
  };
  static constexpr Name kNames[] = {
      {"MessageNew", G::kMessageNew},
      {"MessageExpunge", G::kMessageExpunge},
      {"FlagChange", G::kFlagChange},
      {"AnnotationChange", G::kAnnotationChange},
      {"MailboxName", G::kMailboxName},
      {"SubscriptionChange", G::kSubscriptionChange},
      {"MailboxMetadataChange", G::kMailboxMetadataChange},
      {"ServerMetadataChange", G::kServerMetadataChange},
  };
  for (const Name& n : kNames) {
    if (!lx.keyword(n.name)) continue;
    g.events |= n.bit;
    // MessageNew [SP "(" fetch-att *(SP fetch-att) ")"]
    if (n.bit == G::kMessageNew && lx.rest().size() >= 2 && lx.rest().substr(0, 2) == " (") {
      lx.sp();
      lx.consume('(');
      if (g.filter != G::Filter::selected && g.filter != G::Filter::selected_delayed)
        return fail(error, "FETCH attributes only for SELECTED or SELECTED-DELAYED");
      do {
        if (g.fetch.size() >= limits.max_fetch_items) return fail(error, "Too many FETCH items");
        if (!fetch_att(g.fetch)) return fail(error, "Invalid FETCH item");
      } while (lx.sp());
      if (!lx.consume(')')) return fail(error, "Invalid FETCH attributes");
    }
    return true;
  }
  auto atom = lx.atom();  // event-ext
  if (!atom) return fail(error, "Invalid event");
  if (g.unknown.size() >= limits.max_list_items) return fail(error, "Too many events");
  g.unknown.emplace_back(*atom);
  return true;
}

bool event_group(Lexer& lx, const Limits& limits, const FetchAttParser& fetch_att, NotifyGroup& g,
                 std::string* error) {
  using F = NotifyGroup::Filter;
  if (!lx.consume('(')) return fail(error, "Invalid event group");
  if (lx.keyword("SELECTED-DELAYED")) {
    g.filter = F::selected_delayed;
  } else if (lx.keyword("SELECTED")) {
    g.filter = F::selected;
  } else if (lx.keyword("INBOXES")) {
    g.filter = F::inboxes;
  } else if (lx.keyword("PERSONAL")) {
    g.filter = F::personal;
  } else if (lx.keyword("SUBSCRIBED")) {
    g.filter = F::subscribed;
  } else if (lx.keyword("SUBTREE")) {
    g.filter = F::subtree;
  } else if (lx.keyword("MAILBOXES")) {
    g.filter = F::mailboxes;
  } else {
    return fail(error, "Invalid mailbox filter");
  }
  if (g.filter == F::subtree || g.filter == F::mailboxes) {
    if (!lx.sp() || !one_or_more_mailbox(lx, limits, g.mailboxes, error))
      return fail(error, "Invalid mailbox name");
  }
  if (!lx.sp()) return fail(error, "Missing events");
  if (lx.keyword("NONE")) {
    g.events = 0;
  } else if (!lx.consume('(')) {
    // One event without parentheses, as RFC 5465's own examples write it ("(subtree Lists
    // MessageNew)").
    if (!event(lx, limits, fetch_att, g, error)) return false;
  } else {
    std::size_t n = 0;
    do {
      if (++n > limits.max_list_items) return fail(error, "Too many events");
      if (!event(lx, limits, fetch_att, g, error)) return false;
    } while (lx.sp());
    if (!lx.consume(')')) return fail(error, "Invalid events");
  }
  if (!lx.consume(')')) return fail(error, "Invalid event group");
  // RFC 5465 §6.1: only message events for the selected mailbox.
  const bool selected = g.filter == F::selected || g.filter == F::selected_delayed;
  if (selected && ((g.events & ~NotifyGroup::kMessageEvents) != 0 || !g.unknown.empty()))
    return fail(error, "Only message events for SELECTED or SELECTED-DELAYED");
  // RFC 5465 §5: MessageNew and MessageExpunge together, FlagChange only with both (enforced
  // for the selected mailbox, as Dovecot does).
  const std::uint16_t pair = NotifyGroup::kMessageNew | NotifyGroup::kMessageExpunge;
  if (selected && (g.events & (pair | NotifyGroup::kFlagChange | NotifyGroup::kAnnotationChange)) &&
      (g.events & pair) != pair)
    return fail(error, "MessageNew and MessageExpunge must be together");
  return true;
}

}  // namespace

bool parse_notify_arguments(Lexer& lx, const Limits& limits, const FetchAttParser& fetch_att,
                            Notify& out, std::string* error) {
  if (!lx.sp()) return fail(error, "Missing NOTIFY arguments");
  if (lx.keyword("NONE")) {
    out.none = true;
    return true;
  }
  if (!lx.keyword("SET")) return fail(error, "Expected SET or NONE");
  if (!lx.sp()) return fail(error, "Missing event groups");
  if (lx.keyword("STATUS")) {
    out.status = true;
    if (!lx.sp()) return fail(error, "Missing event groups");
  }
  bool have_selected = false;
  do {
    if (out.groups.size() >= limits.max_list_items) return fail(error, "Too many event groups");
    NotifyGroup g;
    if (!event_group(lx, limits, fetch_att, g, error)) return false;
    const bool selected = g.filter == NotifyGroup::Filter::selected ||
                          g.filter == NotifyGroup::Filter::selected_delayed;
    // RFC 5465 §6.1: one of SELECTED and SELECTED-DELAYED, once.
    if (selected && have_selected) return fail(error, "SELECTED given more than once");
    have_selected = have_selected || selected;
    out.groups.push_back(std::move(g));
  } while (lx.sp());
  return true;
}

}  // namespace estafeta::imap
