// queue_sendmail_headers: what `sendmail -t` does to a message before it is dropped: the
// recipients are read from its To, Cc and Bcc header fields (RFC 5322 §3.6.3; groups and
// display names allowed, as mail(1) and PHP write them), and the Bcc fields are removed so
// that no recipient sees them (RFC 5322 §3.6.3, the first of its Bcc choices, as Postfix
// does). Also the end of input of `sendmail` without -i: a line holding only "." ends the
// message. Input: a local user's message, any line ends; output keeps its line ends. Memory:
// one copy of the message.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace estafeta::queue {

// Removes the Bcc fields from `message` and returns the addresses of To, Cc and Bcc.
std::vector<std::string> extract_recipients(std::string& message);

// Without -i: the message up to (not including) the first line that is exactly ".".
std::string_view up_to_lone_dot(std::string_view input);

}  // namespace estafeta::queue
