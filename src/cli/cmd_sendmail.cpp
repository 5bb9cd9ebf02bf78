// cmd_sendmail: `estafeta sendmail [options] [recipient...]`, also run when the binary is
// called as `sendmail` (the symlink scripts/run.sh installs where none exists): the local
// submission entry point of cron, mail(1), PHP's mail(), git send-email and mutt. The message
// comes on standard input (up to a line "." unless -i/-oi, else to the end); with -t the
// recipients come from its To/Cc/Bcc fields and Bcc is removed. It is written to the
// maildrop directory (<data_dir>/maildrop, queue_maildrop.hpp) as a temporary file, synced,
// and renamed into place; the running server picks it up (queue_pickup.hpp). No network hop,
// no password: the server knows the submitting user from the file's owner.
// Recipients on the command line are address lists ("Name <a@b>, c@d"), as Postfix reads
// them; a first "From " line (mbox) is dropped. Exit codes as sendmail's (sysexits.h): 0
// done, 64 usage, 65 bad input (too large, a NUL octet), 73 cannot create the file, 75 try
// later. Errors are one "estafeta sendmail: ..." line on stderr.
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "cli/cli_sendmail.hpp"
#include "cli/commands.hpp"
#include "queue/proto/queue_maildrop.hpp"
#include "queue/proto/queue_sendmail_args.hpp"
#include "queue/queue_sendmail_headers.hpp"
#include "smtp/smtp_config.hpp"

namespace estafeta::cli {
namespace {

bool write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

}  // namespace

int write_maildrop(const std::filesystem::path& dir, const queue::MaildropHeader& header,
                   std::string_view message) {
  // <time>.<pid>.<random>: sorted by age; written as .tmp, renamed to .msg when complete.
  std::random_device rd;
  const std::string base = fmt::format("{}.{}.{:08x}",
                                       std::chrono::duration_cast<std::chrono::microseconds>(
                                           std::chrono::system_clock::now().time_since_epoch())
                                           .count(),
                                       ::getpid(), rd());
  const auto tmp = dir / (base + ".tmp");
  const auto final_path = dir / (base + ".msg");
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    const int err = errno;
    // Missing: the server has not started yet (or is starting): try later, as a queue would.
    return complain(err == EACCES ? kExCantCreat : kExTempFail,
                    fmt::format("cannot write into {}: {} (the server creates it when it starts; "
                                "is `estafeta serve` running?)",
                                dir.string(), std::strerror(err)));
  }
  const bool ok = write_all(fd, queue::encode_maildrop_header(header)) && write_all(fd, message) &&
                  ::fsync(fd) == 0;
  const int err = errno;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), final_path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return complain(kExTempFail,
                    fmt::format("cannot write {}: {}", final_path.string(), std::strerror(err)));
  }
  return 0;
}

int run_sendmail(const std::vector<std::string>& args, const std::string& config_option) {
  std::string error;
  auto parsed = queue::parse_sendmail_args(args, error);
  if (!parsed) return complain(kExUsage, error);
  queue::SendmailArgs& a = *parsed;
  auto file = choose_config_file(a.config_file.empty() ? config_option : a.config_file);
  auto config = load_config(file);
  if (!config) return kExTempFail;
  if (a.smtp_on_stdin) return run_sendmail_smtp(*config, a);
  const std::size_t max_size = smtp::settings_from(*config).limits.max_message_size;

  // The message, bounded: more than max_message_size is refused before anything is written.
  std::string input;
  char buf[65536];
  for (;;) {
    const std::size_t n = std::fread(buf, 1, sizeof buf, stdin);
    if (n == 0) break;
    input.append(buf, n);
    if (input.size() > max_size + 16)
      return complain(kExDataErr, fmt::format("the message is larger than smtp.max_message_size "
                                              "({} octets)",
                                              max_size));
  }
  const std::string_view text = queue::without_mbox_from(input);
  std::string message(a.dot_ends_input ? queue::up_to_lone_dot(text) : text);
  // As the SMTP server answers it (554 5.6.0): mail has no NUL octets (RFC 5322 §2.3), and
  // the next hop would refuse the message later, far from the user.
  if (message.find('\0') != std::string::npos)
    return complain(kExDataErr, "the message has a NUL octet, which mail cannot carry");
  queue::MaildropHeader header;
  header.from = a.from;
  header.fullname = a.fullname;
  for (const std::string& r : a.recipients) {
    auto found = queue::addresses_in(r);
    if (found.empty()) return complain(kExUsage, "not a mail address: " + r);
    for (auto& address : found) header.recipients.push_back(std::move(address));
  }
  if (a.extract_recipients)
    for (auto& r : queue::extract_recipients(message)) header.recipients.push_back(std::move(r));
  // -N, -R and -V (RFC 3461) for the queue: checked here, where the user can be told.
  if (!a.notify.empty()) {
    auto notify = queue::normalize_notify(a.notify);
    if (!notify) return complain(kExUsage, "-N wants NEVER or a list of SUCCESS,FAILURE,DELAY");
    header.notify.assign(header.recipients.size(), *notify);
  }
  if (!a.ret.empty()) {
    auto ret = queue::normalize_ret(a.ret);
    if (!ret) return complain(kExUsage, "-R wants FULL or HDRS");
    header.ret = *ret;
  }
  if (!a.envid.empty() && !queue::valid_xtext(a.envid))
    return complain(kExUsage,
                    "-V wants an envelope id in RFC 3461 xtext (printable ASCII, no '=')");
  header.envid = a.envid;
  if (header.recipients.empty())
    return complain(kExUsage, "no recipients: name them, or use -t to read To/Cc/Bcc");
  if (header.recipients.size() > queue::kMaxMaildropRecipients)
    return complain(kExUsage,
                    fmt::format("more than {} recipients", queue::kMaxMaildropRecipients));

  return write_maildrop(config->data_dir / "maildrop", header, message);
}

}  // namespace estafeta::cli
