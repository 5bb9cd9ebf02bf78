// mua_imap_command: building the IMAP client's commands (RFC 9051 §4, §6): atoms as given,
// strings as an atom, a quoted string or a literal, whichever the bytes allow (CR, LF, NUL
// and, without UTF8=ACCEPT, 8-bit bytes need a literal; RFC 6855 §3 allows UTF-8 in quoted
// strings once enabled), mailbox names in modified UTF-7 unless UTF8=ACCEPT is on (RFC 3501
// §5.1.3), and literals synchronizing ({n}: the client waits for "+" before the bytes) or
// not (LITERAL+ {n+} for any size, LITERAL- for up to 4096 octets, RFC 7888). The result is
// the chunks to write, with a continuation to wait for between two chunks. Trust: the
// arguments come from the user and from our own code; a NUL byte cannot be sent in a
// string and makes the command invalid (ok() false). Memory: the command's bytes.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace estafeta::mua {

struct ImapCommandOptions {
  bool literal_plus = false;   // LITERAL+: {n+} for every literal
  bool literal_minus = false;  // LITERAL-: {n+} for literals up to 4096 octets
  bool utf8 = false;           // UTF8=ACCEPT enabled
};

class ImapCommand {
 public:
  ImapCommand(std::string_view tag, std::string_view name, ImapCommandOptions options = {});

  ImapCommand& atom(std::string_view a);         // written as is (keywords, sets, flags)
  ImapCommand& astring(std::string_view s);      // atom, quoted or literal
  ImapCommand& string(std::string_view s);       // quoted or literal (never a bare atom)
  ImapCommand& literal(std::string_view bytes);  // always a literal (APPEND's message)
  ImapCommand& mailbox(std::string_view utf8);   // a mailbox name given in UTF-8
  ImapCommand& raw(std::string_view text);       // appended verbatim (")", "(", ...)
  ImapCommand& space();                          // a single SP

  // False when an argument could not be written (a NUL byte in a string).
  bool ok() const { return ok_; }
  const std::string& tag() const { return tag_; }
  // The chunks to write: after each chunk but the last, wait for a continuation ("+").
  // The last chunk ends with CRLF.
  std::vector<std::string> chunks() const;
  // The command with literals' bytes replaced by "<n octets>" and the LOGIN/AUTHENTICATE
  // arguments masked, for logs and messages.
  const std::string& summary() const { return summary_; }
  void mask_summary() { summary_ = tag_ + " " + name_ + " <hidden>"; }

 private:
  void separate();
  void add_literal(std::string_view bytes);

  ImapCommandOptions options_;
  std::string tag_;
  std::string name_;
  std::vector<std::string> chunks_;
  std::string summary_;
  bool ok_ = true;
  bool after_open_ = false;  // the last thing written was "(": no space before the next
};

// The name in the form the server wants: modified UTF-7 (RFC 3501 §5.1.3) unless `utf8`;
// "INBOX" in any case becomes "INBOX" (RFC 9051 §5.1).
std::string imap_mailbox_wire_name(std::string_view utf8, bool utf8_enabled);

// True when `s` may be sent as an atom (RFC 9051 §9 ATOM-CHAR; "NIL" excluded).
bool imap_is_atom(std::string_view s);

}  // namespace estafeta::mua
