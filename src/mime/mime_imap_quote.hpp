// mime_imap_quote: writing strings into IMAP responses (RFC 3501 §4.3, RFC 9051 §4.3) the way
// Dovecot does: a quoted string when that is safe, a literal "{n}\r\n..." when the text has
// CR, LF, 8-bit bytes (without UTF8=ACCEPT) or more than four quoted-specials; NIL for absent.
// "For humans" text (ENVELOPE subject and display names) has its whitespace runs collapsed.
// Input is untrusted header text; output is appended to a caller string.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace estafeta::mime {

struct ImapQuoteOptions {
  bool utf8 = false;  // RFC 6855 UTF8=ACCEPT enabled: valid UTF-8 may be quoted
};

// string: quoted or literal.
void imap_append_string(std::string& out, std::string_view s, ImapQuoteOptions o = {});
// nstring: NIL when `s` is absent.
void imap_append_nstring(std::string& out, const std::optional<std::string_view>& s,
                         ImapQuoteOptions o = {});
// nstring with CR/LF removed first (a line break before WSP vanishes, any other becomes a
// space) — what Dovecot writes for Date, Message-ID, Content-ID and similar raw values.
void imap_append_nstring_nolf(std::string& out, const std::optional<std::string_view>& s,
                              ImapQuoteOptions o = {});
// NUL bytes are written as U+FFFD everywhere (Dovecot's header parser does the same).
// Text for display: runs of SP/TAB/CR/LF become one space, leading and
// trailing whitespace go. Quoted when nothing had to change, else a literal.
void imap_append_string_for_humans(std::string& out, std::string_view s, ImapQuoteOptions o = {});

}  // namespace estafeta::mime
