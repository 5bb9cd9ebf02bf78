// queue_sendmail_args: the command line of `estafeta sendmail` (and of the binary called as
// `sendmail`), as the programs that call /usr/sbin/sendmail use it: cron, mail(1), PHP's
// mail(), git send-email, mutt. Options (Sendmail's and Postfix's meaning): -t (recipients
// from the To, Cc and Bcc header fields, added to those named), -f ADDR / -r ADDR (envelope
// sender; "<>" or "" is the null sender), -F NAME (full name for a From field we add), -i and
// -oi (a line "." does not end the message), -bm (deliver: the default), -bs (SMTP on standard
// input and output), -N DSN (NOTIFY), -R RET, -V ENVID, -C FILE (our
// configuration file). Accepted and ignored, as Postfix does: -oem -oee -oep -oeq -oew, -od*,
// other -o options, -v, -B TYPE, -L LABEL, -X FILE. Option letters may be joined to their
// value (-fme@x) or not (-f me@x); "--" ends the options. No I/O. Memory: the arguments.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace estafeta::queue {

struct SendmailArgs {
  bool smtp_on_stdin = false;           // -bs
  bool extract_recipients = false;      // -t
  bool dot_ends_input = true;           // false with -i / -oi
  std::optional<std::string> from;      // -f / -r; "" = null sender
  std::string fullname;                 // -F
  std::string notify, ret, envid;       // -N, -R, -V (RFC 3461), "" when absent
  std::string config_file;              // -C
  std::vector<std::string> recipients;  // the non-option arguments
};

// Parses argv[1..] (without the program name). nullopt and `error` (one line naming the
// option) for an unknown option or a missing value.
std::optional<SendmailArgs> parse_sendmail_args(const std::vector<std::string>& args,
                                                std::string& error);

}  // namespace estafeta::queue
