// imap_response_strings: the small pieces of IMAP response syntax (RFC 9051 §4, §9; RFC 3501
// §4, §9) that every response writer needs: an astring as an atom, a quoted string or a
// literal, nstrings, literal8 for BINARY (RFC 3516 §4.2), flag lists, and the INTERNALDATE
// date-time "dd-Mon-yyyy hh:mm:ss +zzzz". Strings may come from messages (untrusted): the
// choice between quoted and literal never lets CR, LF or NUL into a quoted string. Functions
// append to a caller's string and allocate nothing else.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "store/api/store.hpp"

namespace estafeta::imap {

struct StringOptions {
  bool utf8 = false;  // UTF8=ACCEPT (RFC 6855) or IMAP4rev2: valid UTF-8 may be quoted
};

// True when `s` can be sent as an atom (RFC 9051 §9 ATOM-CHAR+, not "NIL").
bool is_atom(std::string_view s);

// A string (RFC 9051 §4.3): quoted when it has no CR, LF, NUL and (without utf8) no 8-bit
// byte, else a literal "{n}\r\n...".
void append_string(std::string& out, std::string_view s, StringOptions o = {});
// An astring: an atom when possible, else as append_string.
void append_astring(std::string& out, std::string_view s, StringOptions o = {});
// An nstring: NIL when absent.
void append_nstring(std::string& out, const std::optional<std::string_view>& s,
                    StringOptions o = {});
// A quoted string; the caller guarantees no CR, LF or NUL ('"' and '\' are escaped).
void append_quoted(std::string& out, std::string_view s);
// A literal "{n}\r\n" + s.
void append_literal(std::string& out, std::string_view s);
// A literal8 "~{n}\r\n" + s (RFC 3516 §4.2), for BINARY data that holds NUL.
void append_literal8(std::string& out, std::string_view s);
// A literal header only ("{n}\r\n" or "~{n}\r\n"), for callers streaming the data.
void append_literal_header(std::string& out, std::uint64_t size, bool literal8 = false);

// "\Seen" style names of the system flags, in RFC 9051 order.
std::string_view system_flag_name(store::Flag f);
// A flag list "(\Seen \Answered $Forwarded)": the system flags, "\Recent" when `recent`
// (IMAP4rev1 sessions only), then the keywords.
void append_flag_list(std::string& out, const store::Flags& flags, bool recent = false);

// INTERNALDATE date-time without the quotes: "01-Dec-2026 21:03:04 +0100" for the UTC time
// `t` shown in the zone `tz_minutes` east of UTC (RFC 9051 §9 date-time; day with a
// leading zero as Dovecot writes it, which the grammar's date-day-fixed also allows as SP).
std::string format_internal_date(std::int64_t t, std::int32_t tz_minutes);
// The same, quoted: "\"01-Dec-2026 21:03:04 +0100\"".
void append_internal_date(std::string& out, std::int64_t t, std::int32_t tz_minutes);

}  // namespace estafeta::imap
