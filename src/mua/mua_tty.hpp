// mua_tty: questions the mail client asks its user on the controlling terminal (/dev/tty),
// not on standard input, which may carry a message body: a password without echo (termios,
// echo restored on return and on SIGINT/SIGTERM) or a plain answer (`mail setup`). Trust:
// the answer is the user's own; at most kMaxAnswer octets are read.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "base/result.hpp"

namespace estafeta::mua {

inline constexpr std::size_t kMaxAnswer = 4096;

// True when the process has a controlling terminal it can open.
bool have_tty();

// Writes `question` to /dev/tty and reads one line (without its end). With echo false the
// typed characters are not shown. Errors: no terminal, end of input, an over-long answer.
Result<std::string> ask_tty(std::string_view question, bool echo);

}  // namespace estafeta::mua
