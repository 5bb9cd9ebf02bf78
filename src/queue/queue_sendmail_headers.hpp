// queue_sendmail_headers: what `sendmail -t` does to a message before it is dropped: the
// recipients are read from its To, Cc and Bcc header fields (RFC 5322 §3.6.3; groups and
// display names allowed, as mail(1) and PHP write them), and the Bcc fields are removed so
// that no recipient sees them (RFC 5322 §3.6.3, the first of its Bcc choices, as Postfix
// does). Also the end of input of `sendmail` without -i: a line holding only "." ends the
// message; and where the header ends when the empty line is missing. Input: a local user's message,
// any line ends; output keeps its line ends. Memory: one copy of the message.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace estafeta::queue {

// Where the header of a submitted message ends: at the first line that is neither a header
// field ("name:", the name printable ASCII, RFC 5322 §2.2) nor the continuation (leading
// WSP) of one. Programs often pipe bare text ("disk full") or forget the empty line; as
// Postfix's cleanup does, that line starts the body. `offset` is where that line starts (the
// size of the message when it has no body); `empty_line` says it is the empty line that
// should be there, else the caller inserts one.
struct HeaderEnd {
  std::size_t offset = 0;
  bool empty_line = false;
};
HeaderEnd find_header_end(std::string_view message);

// A first line "From sender date" (the mbox separator, from formail or a resent mbox
// message) is not part of the message: without it. Postfix's sendmail skips it too.
std::string_view without_mbox_from(std::string_view message);

// The addresses in an address list ("a@x", "Alice <a@x>, b@y", "root"): a recipient on the
// command line is read as Postfix's sendmail reads it. Malformed entries are left out.
std::vector<std::string> addresses_in(std::string_view list);

// Removes the Bcc fields from `message` and returns the addresses of To, Cc and Bcc.
std::vector<std::string> extract_recipients(std::string& message);

// Without -i: the message up to (not including) the first line that is exactly ".".
std::string_view up_to_lone_dot(std::string_view input);

}  // namespace estafeta::queue
