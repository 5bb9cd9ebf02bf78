// queue_pickup: see the header.
#include "queue/queue_pickup.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <pwd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "base/log.hpp"
#include "delivery/delivery_maildir.hpp"
#include "mime/mime_compose.hpp"
#include "mime/mime_downgrade.hpp"
#include "mime/mime_dsn.hpp"
#include "queue/proto/queue_maildrop.hpp"
#include "queue/queue_bounce.hpp"
#include "queue/queue_forward.hpp"
#include "queue/queue_sendmail_headers.hpp"

namespace estafeta::queue {
namespace {

constexpr auto kScanInterval = std::chrono::seconds(5);

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Every line end as CRLF (sendmail input is usually LF-terminated).
std::string to_crlf(std::string_view in) {
  std::string out;
  out.reserve(in.size() + in.size() / 32 + 2);
  for (std::size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '\r') {
      out += "\r\n";
      if (i + 1 < in.size() && in[i + 1] == '\n') ++i;
    } else if (c == '\n') {
      out += "\r\n";
    } else {
      out += c;
    }
  }
  if (out.size() < 2 || out.compare(out.size() - 2, 2, "\r\n") != 0) out += "\r\n";
  return out;
}

// How many fields `name` (case-insensitive) the header block has.
std::size_t count_fields(std::string_view header, std::string_view name) {
  std::size_t pos = 0, count = 0;
  while (pos < header.size()) {
    const std::size_t end = header.find("\r\n", pos);
    const std::string_view line =
        header.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos);
    if (line.size() > name.size() && line[name.size()] == ':') {
      bool same = true;
      for (std::size_t i = 0; i < name.size() && same; ++i)
        same = std::tolower(static_cast<unsigned char>(line[i])) ==
               std::tolower(static_cast<unsigned char>(name[i]));
      if (same) ++count;
    }
    if (end == std::string_view::npos) break;
    pos = end + 2;
  }
  return count;
}

bool has_field(std::string_view header, std::string_view name) {
  return count_fields(header, name) > 0;
}

// The owner's login name; "uid<n>" when the account has none.
std::string login_of(uid_t uid) {
  struct passwd pw {};
  struct passwd* found = nullptr;
  std::vector<char> buf(4096);
  if (::getpwuid_r(uid, &pw, buf.data(), buf.size(), &found) == 0 && found) return found->pw_name;
  return fmt::format("uid{}", uid);
}

// A display name made safe for a From field: quoted, without CR, LF, quotes or backslashes.
std::string quoted_name(std::string_view name) {
  std::string out = "\"";
  for (char c : name)
    if (c != '\r' && c != '\n' && c != '"' && c != '\\') out += c;
  return out + "\"";
}

}  // namespace

Pickup::Pickup(PickupOptions options, Spool& spool, auth::Directory& directory, Submit submit)
    : options_(std::move(options)),
      spool_(spool),
      directory_(directory),
      submit_(std::move(submit)) {}

Pickup::~Pickup() {
  stop();
}

std::error_code Pickup::prepare() {
  std::error_code ec;
  std::filesystem::create_directories(options_.dir, ec);
  if (ec) return ec;
  // Writable by all, listable by nobody but us; sticky: a user cannot remove another's file.
  if (::chmod(options_.dir.c_str(), 01733) != 0) return {errno, std::generic_category()};
  return {};
}

void Pickup::start() {
  inotify_ = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (inotify_ >= 0 && ::inotify_add_watch(inotify_, options_.dir.c_str(), IN_MOVED_TO) < 0) {
    ::close(inotify_);
    inotify_ = -1;
  }
  thread_ = std::thread([this] { loop(); });
}

void Pickup::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (inotify_ >= 0) {
    ::close(inotify_);
    inotify_ = -1;
  }
}

void Pickup::loop() {
  for (;;) {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
    }
    scan();
    // Wait for a new file (inotify), the scan interval, or stop (checked every 200 ms).
    const auto until = std::chrono::steady_clock::now() + kScanInterval;
    while (std::chrono::steady_clock::now() < until) {
      {
        std::unique_lock lock(mutex_);
        if (stopping_) return;
      }
      if (inotify_ >= 0) {
        pollfd p{inotify_, POLLIN, 0};
        if (::poll(&p, 1, 200) > 0) {
          char buf[4096];
          while (::read(inotify_, buf, sizeof buf) > 0) {
          }
          break;
        }
      } else {
        std::unique_lock lock(mutex_);
        cv_.wait_for(lock, std::chrono::milliseconds(200));
      }
    }
  }
}

std::size_t Pickup::scan() {
  std::vector<std::string> names;
  if (DIR* d = ::opendir(options_.dir.c_str())) {
    while (dirent* e = ::readdir(d)) {
      std::string n = e->d_name;
      // sendmail writes "<name>.tmp" and renames it to "<name>.msg" when complete.
      if (n.size() > 4 && n.compare(n.size() - 4, 4, ".msg") == 0) names.push_back(n);
    }
    ::closedir(d);
  }
  std::sort(names.begin(), names.end());  // oldest first: names start with the time
  std::size_t taken = 0;
  for (const auto& n : names)
    if (take(n)) ++taken;
  return taken;
}

bool Pickup::take(const std::string& name) {
  const std::filesystem::path path = options_.dir / name;
  const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    log::warn("pickup", "cannot open {}: {}", path.string(), std::strerror(errno));
    return false;
  }
  struct stat st {};
  std::string file;
  bool ok =
      ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
      static_cast<std::uint64_t>(st.st_size) <= options_.max_message_size + kMaxMaildropHeader;
  if (ok) {
    file.resize(static_cast<std::size_t>(st.st_size));
    std::size_t got = 0;
    while (ok && got < file.size()) {
      const ssize_t n = ::read(fd, file.data() + got, file.size() - got);
      if (n <= 0) ok = false;
      got += n > 0 ? static_cast<std::size_t>(n) : 0;
    }
  }
  ::close(fd);
  if (!ok) {
    log::warn("pickup", "{}: not a regular file, unreadable, or larger than {} octets: removed",
              name, options_.max_message_size);
    ::unlink(path.c_str());
    return true;
  }
  MaildropHeader header;
  std::string error;
  auto body = parse_maildrop(file, header, error);
  if (!body) {
    log::warn("pickup", "{} (from uid {}): {}: removed", name, st.st_uid, error);
    ::unlink(path.c_str());
    return true;
  }
  const std::string login = login_of(st.st_uid);
  const std::string mail_from = header.from ? *header.from : login + "@" + options_.hostname;
  const std::string id = fmt::format("L{:x}{:x}", unix_now(), counter_.fetch_add(1) + 1);
  const auto now = std::chrono::system_clock::now();
  // Missing fields, as a local submission needs them (RFC 5322 §3.6: Date and From).
  std::string message = to_crlf(*body);
  // Bare text, or a header without its empty line: the body starts at the first line that is
  // not a header field (as Postfix's cleanup has it), after the empty line it lacked.
  if (const HeaderEnd end = find_header_end(message); !end.empty_line)
    message.insert(end.offset, "\r\n");
  const std::string_view head = mime::message_header_block(message);
  const std::size_t hops = count_fields(head, "Received");  // before `message` changes
  std::string added;
  if (!has_field(head, "From")) {
    const std::string addr = mail_from.empty() ? "MAILER-DAEMON@" + options_.hostname : mail_from;
    added += "From: " +
             (header.fullname.empty() ? addr : quoted_name(header.fullname) + " <" + addr + ">") +
             "\r\n";
  }
  if (!has_field(head, "Date")) added += "Date: " + mime::format_date(now) + "\r\n";
  if (!has_field(head, "Message-ID"))
    added += "Message-ID: <" + mime::generate_message_id(options_.hostname) + ">\r\n";
  message.insert(0, added);
  const std::string received =
      fmt::format("Received: by {} (Estafeta) with local (uid {} {}) id {};\r\n\t{}\r\n",
                  options_.hostname, st.st_uid, login, id, mime::format_date(now));
  std::vector<std::pair<std::string, std::string>> refused;
  // The SMTP server's mail loop limit (RFC 5321 §6.3) holds here too: a message that has
  // been around too often is bounced, not relayed again.
  if (hops > options_.max_received) {
    ::unlink(path.c_str());
    log::warn("pickup", "{}: from=<{}> uid={} ({}): {} Received fields (limit {}): mail loop", id,
              mail_from, st.st_uid, login, hops, options_.max_received);
    for (const std::string& r : header.recipients)
      refused.emplace_back(r, fmt::format("5.4.6 too many Received header fields (more than "
                                          "{}): mail loop",
                                          options_.max_received));
    bounce(id, mail_from, header, received + message, refused);
    return true;
  }
  std::error_code ec;
  auto entry = spool_message(id, mail_from, login, header, received, message, refused, ec);
  if (ec) {
    log::warn("pickup", "{}: cannot spool {}: {}; trying again later", id, name, ec.message());
    return false;
  }
  ::unlink(path.c_str());
  log::info("pickup", "{}: from=<{}> uid={} ({}) recipients={} refused={}", id, mail_from,
            st.st_uid, login, header.recipients.size() - refused.size(), refused.size());
  if (entry) submit_(std::move(*entry));
  if (!refused.empty()) bounce(id, mail_from, header, received + message, refused);
  return true;
}

std::optional<SpoolEntry> Pickup::spool_message(
    const std::string& id, const std::string& mail_from, const std::string& auth_user,
    const MaildropHeader& envelope, const std::string& received, const std::string& message,
    std::vector<std::pair<std::string, std::string>>& refused, std::error_code& ec) {
  SpoolEnvelope rec;
  rec.id = id;
  rec.mail_from = mail_from;
  rec.helo = "localhost";
  rec.auth_user = auth_user;
  rec.received = received;
  rec.received_at = unix_now();
  rec.maildir_name = delivery::maildir_base_name(options_.hostname);
  rec.ret = envelope.ret;
  rec.envid = envelope.envid;
  for (std::size_t i = 0; i < envelope.recipients.size(); ++i) {
    const std::string& raw = envelope.recipients[i];
    const std::string notify = i < envelope.notify.size() ? envelope.notify[i] : "";
    const std::string orcpt = i < envelope.orcpt.size() ? envelope.orcpt[i] : "";
    // A bare user name is one of ours: "root" is root@<hostname>.
    const std::string address =
        raw.find('@') == std::string::npos ? raw + "@" + options_.hostname : raw;
    auth::Resolution res = directory_.resolve(address);
    SpoolRecipient sr;
    sr.address = address;
    sr.notify = notify;
    sr.orcpt = orcpt;
    switch (res.status) {
      case auth::Resolution::Status::local:
        for (const auth::MailboxTarget& t : res.targets)
          sr.local.push_back(LocalTarget{t.user, t.maildir.string(), t.folder, t.address});
        if (!res.forwards.empty() && !options_.remote) {
          log::warn("pickup",
                    "{}: <{}>: alias targets in other domains dropped (no outbound "
                    "queue)",
                    id, address);
        } else {
          add_forwards(directory_, res, mail_from, address, notify, orcpt, rec.recipients);
        }
        if (sr.local.empty()) {
          if (!res.forwards.empty() && !options_.remote) {
            refused.emplace_back(address, "5.7.1 delivery to other domains is not available");
          } else if (res.forwards.empty()) {
            // The directory never answers so (leading nowhere is unknown_user); were it to,
            // this waits and is tried again, as SMTP answers such a RCPT with 451.
            ec = std::make_error_code(std::errc::resource_unavailable_try_again);
            return std::nullopt;
          }
          continue;
        }
        break;
      case auth::Resolution::Status::not_local_domain:
        if (!options_.remote) {
          refused.emplace_back(address, "5.7.1 delivery to other domains is not available");
          continue;
        }
        break;  // no local targets: the outbound queue's
      case auth::Resolution::Status::unknown_user:
        refused.emplace_back(address, "5.1.1 user unknown");
        continue;
      case auth::Resolution::Status::temporary_failure:
        ec = std::make_error_code(std::errc::resource_unavailable_try_again);
        return std::nullopt;
    }
    rec.recipients.push_back(std::move(sr));
  }
  if (rec.recipients.empty()) return std::nullopt;
  // A UTF-8 address (RFC 6531) needs SMTPUTF8 at the next hop, as if MAIL had asked for it:
  // the outbound queue then asks for it, or bounces with 5.6.7 where it is missing.
  rec.smtputf8 = !mime::is_7bit(mail_from) ||
                 std::any_of(rec.recipients.begin(), rec.recipients.end(),
                             [](const SpoolRecipient& r) { return !mime::is_7bit(r.address); });
  auto writer = spool_.begin(ec);
  if (!writer) return std::nullopt;
  if ((ec = writer->append(message))) return std::nullopt;
  if ((ec = writer->commit(rec))) return std::nullopt;
  SpoolEntry entry{writer->name(), std::move(rec), 0};
  return entry;
}

void Pickup::bounce(const std::string& id, const std::string& mail_from,
                    const MaildropHeader& envelope, const std::string& message,
                    const std::vector<std::pair<std::string, std::string>>& refused) {
  if (mail_from.empty()) return;  // never a bounce for a bounce
  // The report the queue writes (RET, ENVID, ORCPT, In-Reply-To), each refusal given as the
  // reply RCPT TO would have had ("550 5.1.1 user unknown"): an SMTP diagnostic (RFC 3464
  // §2.3.6).
  SpoolEnvelope env;
  env.mail_from = mail_from;
  env.ret = envelope.ret;
  env.envid = envelope.envid;
  env.received_at = unix_now();
  std::vector<mime::DsnRecipient> recipients;
  for (const auto& [address, why] : refused) {
    mime::DsnRecipient d;
    d.final_recipient = address;
    for (std::size_t i = 0; i < envelope.recipients.size() && i < envelope.orcpt.size(); ++i)
      if (envelope.recipients[i] == address ||
          envelope.recipients[i] + "@" + options_.hostname == address)
        d.original_recipient = envelope.orcpt[i];
    d.action = mime::DsnAction::failed;
    d.status = why.substr(0, why.find(' '));
    d.diagnostic_code = (why.starts_with('4') ? "450 " : "550 ") + why;
    recipients.push_back(std::move(d));
  }
  const std::string notice =
      build_notice(env, std::move(recipients), message, options_.hostname, unix_now());
  if (auto ec = inject("", mail_from, notice))
    log::warn("pickup", "{}: cannot send the bounce to <{}>: {}", id, mail_from, ec.message());
}

std::error_code Pickup::inject(const std::string& mail_from, const std::string& rcpt,
                               const std::string& message) {
  const std::string id = fmt::format("N{:x}{:x}", unix_now(), counter_.fetch_add(1) + 1);
  const std::string received =
      fmt::format("Received: by {} (Estafeta) id {};\r\n\t{}\r\n", options_.hostname, id,
                  mime::format_date(std::chrono::system_clock::now()));
  std::vector<std::pair<std::string, std::string>> refused;
  std::error_code ec;
  MaildropHeader envelope;
  envelope.recipients = {rcpt};
  auto entry = spool_message(id, mail_from, "", envelope, received, message, refused, ec);
  if (ec) return ec;
  for (const auto& [address, why] : refused)
    log::warn("pickup", "{}: notification for <{}> dropped: {}", id, address, why);
  if (entry) submit_(std::move(*entry));
  return {};
}

}  // namespace estafeta::queue
