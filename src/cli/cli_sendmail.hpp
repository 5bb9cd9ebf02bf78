// cli_sendmail: what the two ways of `estafeta sendmail` share — the message on standard input
// (cmd_sendmail.cpp) and an SMTP dialogue on standard input and output with -bs
// (cmd_sendmail_smtp.cpp): sendmail's exit codes (sysexits.h), the one-line error, and the
// writer of a maildrop file (queue_maildrop.hpp) that the running server picks up.
#pragma once

#include <cstdio>
#include <filesystem>
#include <string>
#include <string_view>

#include "config/config.hpp"
#include "queue/proto/queue_maildrop.hpp"
#include "queue/proto/queue_sendmail_args.hpp"

namespace estafeta::cli {

inline constexpr int kExUsage = 64, kExDataErr = 65, kExCantCreat = 73, kExTempFail = 75;

inline int complain(int code, const std::string& message) {
  std::fprintf(stderr, "estafeta sendmail: %s\n", message.c_str());
  return code;
}

// Writes `header` and `message` into `dir` as a new maildrop file: a temporary name, fsync,
// then renamed into place. 0, or a sysexits code after a message on stderr.
int write_maildrop(const std::filesystem::path& dir, const queue::MaildropHeader& header,
                   std::string_view message);

// -bs: the SMTP server's own session core on standard input and output; each accepted
// message becomes a maildrop file before its 250. 0 unless a message could not be written.
int run_sendmail_smtp(const config::Config& config, const queue::SendmailArgs& args);

}  // namespace estafeta::cli
