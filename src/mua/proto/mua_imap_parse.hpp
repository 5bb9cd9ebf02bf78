// mua_imap_parse: typed readings of the untagged responses the mail client uses, from the
// value trees of mua_imap_response: CAPABILITY (RFC 9051 §7.2.2), LIST with its attributes
// and SPECIAL-USE (RFC 6154; names in modified UTF-7, RFC 3501 §5.1.3, or UTF-8 after
// UTF8=ACCEPT, RFC 6855), STATUS (§7.2.4), SEARCH (§7.2.5) and ESEARCH (RFC 4731), FETCH
// (§7.5.2: UID, FLAGS, INTERNALDATE, RFC822.SIZE, ENVELOPE, BODYSTRUCTURE kept as values,
// BODY[section]<origin>, BINARY[...]), VANISHED (RFC 7162 §3.2.10) and sequence sets.
// Trust: the values come from the server (untrusted) and were bounded by the reader; a
// sequence set is expanded only up to a caller's bound. Each function returns nullopt (or
// false) when the response does not have the expected shape; no exceptions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mua/proto/mua_imap_response.hpp"

namespace estafeta::mua {

// ASCII case-insensitive equality.
bool imap_iequals(std::string_view a, std::string_view b);

// CAPABILITY atoms, upper-cased ("IMAP4REV1", "AUTH=PLAIN", "LITERAL+", "MOVE"...), from an
// untagged CAPABILITY response or a [CAPABILITY ...] code.
std::vector<std::string> parse_capabilities(const std::vector<ImapValue>& values);

struct ImapMailbox {
  std::string name;                     // UTF-8 (decoded from modified UTF-7 unless UTF8=ACCEPT)
  std::string raw_name;                 // as the server wrote it: use this in commands
  char delimiter = 0;                   // 0 = NIL (flat namespace)
  std::vector<std::string> attributes;  // as written ("\HasNoChildren", "\Sent", ...)
  bool has_attribute(std::string_view a) const;
  bool selectable() const {
    return !has_attribute("\\Noselect") && !has_attribute("\\NonExistent");
  }
  // The special-use attribute (RFC 6154 §2: \All \Archive \Drafts \Flagged \Junk \Sent
  // \Trash), "" when none; INBOX is reported by the caller.
  std::string special_use() const;
};

// "* LIST (attrs) delim name [extended]"; `utf8` when UTF8=ACCEPT is enabled.
std::optional<ImapMailbox> parse_list(const ImapResponse& r, bool utf8);

struct ImapStatus {
  std::string raw_name;
  std::optional<std::uint64_t> messages, unseen, recent, uidnext, uidvalidity, size;
};
std::optional<ImapStatus> parse_status(const ImapResponse& r);

// A sequence set ("1:3,7,9:*") as sorted, distinct numbers; `star` stands for '*'. nullopt
// when malformed or when it holds more than `max` numbers.
std::optional<std::vector<std::uint32_t>> parse_sequence_set(std::string_view set,
                                                             std::uint32_t star, std::size_t max);

// "* SEARCH 1 2 3 [(MODSEQ n)]": the numbers.
std::optional<std::vector<std::uint32_t>> parse_search(const ImapResponse& r, std::size_t max);

struct ImapEsearch {
  std::string tag;  // the correlator (TAG "a1"), "" when absent
  bool uid = false;
  std::optional<std::uint64_t> min, max, count;
  std::vector<std::uint32_t> all;  // ALL expanded
};
std::optional<ImapEsearch> parse_esearch(const ImapResponse& r, std::size_t max);

struct ImapAddress {
  std::string name;     // display name as sent (RFC 2047 words not decoded)
  std::string mailbox;  // local part
  std::string host;     // domain
  std::string addr_spec() const { return host.empty() ? mailbox : mailbox + "@" + host; }
};

struct ImapEnvelope {
  std::string date, subject, in_reply_to, message_id;  // raw (subject may be RFC 2047)
  std::vector<ImapAddress> from, sender, reply_to, to, cc, bcc;
};

struct ImapFetch {
  std::uint64_t seq = 0;  // message sequence number
  std::optional<std::uint32_t> uid;
  std::optional<std::vector<std::string>> flags;
  std::string internal_date;          // "17-Jul-1996 02:44:25 -0700", "" when absent
  std::optional<std::uint64_t> size;  // RFC822.SIZE
  std::optional<std::uint64_t> modseq;
  std::optional<ImapEnvelope> envelope;
  std::optional<ImapValue> bodystructure;
  // BODY[...] / BINARY[...] / RFC822* items: the item name upper-cased with the partial's
  // origin dropped ("BODY[]", "BODY[HEADER.FIELDS (FROM SUBJECT)]", "BINARY[2]") and the
  // bytes (NIL as "").
  std::vector<std::pair<std::string, std::string>> sections;

  // The first section whose name starts with `prefix` (upper case), or nullptr.
  const std::string* section(std::string_view prefix) const;
};

// "* n FETCH (items)".
std::optional<ImapFetch> parse_fetch(const ImapResponse& r);

// "* VANISHED [(EARLIER)] set": the UIDs, at most `max`.
std::optional<std::vector<std::uint32_t>> parse_vanished(const ImapResponse& r, std::size_t max,
                                                         bool* earlier = nullptr);

// INTERNALDATE "17-Jul-1996 02:44:25 -0700" as Unix seconds; nullopt when malformed.
std::optional<std::int64_t> parse_internal_date(std::string_view s);

}  // namespace estafeta::mua
