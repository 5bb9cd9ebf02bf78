// queue_pickup: the server's half of local submission (`estafeta sendmail`, the `sendmail`
// command of cron, mail(1), PHP and git). sendmail writes a maildrop file (queue_maildrop.hpp)
// into <data_dir>/maildrop, a directory every local user may write into but not list (mode
// 1733, as Postfix's maildrop; data_dir is 0711 so that they can reach it); the pickup
// thread sees it (inotify, and a scan every few seconds as a fallback), and turns it into a
// spool entry as if it had been received: the submitting user is the file's owner (never
// what the file says), the sender is -f when given or <login>@<hostname>, missing From,
// Date and Message-ID fields are added (as Postfix's cleanup does for local mail), a
// Received field says "with local". Recipients resolve as at RCPT: local mailboxes, other
// domains for the outbound queue when the server has one; a recipient that cannot be
// delivered (unknown user, no outbound queue) is bounced to the sender with a DSN.
// The file is removed once the spool entry is committed (fsynced); a crash between the two
// delivers it again on restart, where Maildir names keep local delivery at one copy.
// Blocking (file I/O, fsync): runs on its own thread. Trust: files come from any local user:
// sizes bounded (max_message_size), parsed defensively, symlinks and non-regular files
// refused. Memory: one message at a time.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "auth/directory.hpp"
#include "queue/proto/queue_maildrop.hpp"
#include "queue/queue_spool.hpp"

namespace estafeta::queue {

struct PickupOptions {
  std::filesystem::path dir;                  // <data_dir>/maildrop
  std::string hostname;                       // for the sender of users without -f, Received, ids
  std::uint64_t max_message_size = 50 << 20;  // smtp.max_message_size
  bool remote = false;                        // other domains go to the outbound queue
  std::size_t max_received = 100;  // smtp.max_received_headers: more is a mail loop (5.4.6)
};

class Pickup {
 public:
  using Submit = std::function<void(SpoolEntry)>;
  Pickup(PickupOptions options, Spool& spool, auth::Directory& directory, Submit submit);
  ~Pickup();
  Pickup(const Pickup&) = delete;
  Pickup& operator=(const Pickup&) = delete;

  // Creates the directory (mode 1733) if needed. Call as the service user.
  std::error_code prepare();
  // Starts the pickup thread (which first takes what is already there).
  void start();
  void stop();
  // Takes every file now, on the calling thread; returns how many became spool entries.
  std::size_t scan();

  // Puts a message we made (a DSN) into the spool for `rcpt`, as the null sender when
  // `mail_from` is empty. Resolution as for picked-up mail; a recipient that cannot be
  // delivered is dropped with a log line (never a bounce of a bounce).
  std::error_code inject(const std::string& mail_from, const std::string& rcpt,
                         const std::string& message);

 private:
  // One file: true when it was handled (spooled, or refused and removed).
  bool take(const std::string& name);
  // Spools `message` (CRLF, with our Received field first) for `rcpts`; the recipients that
  // cannot be delivered come back in `refused` with the reason.
  std::optional<SpoolEntry> spool_message(const std::string& id, const std::string& mail_from,
                                          const std::string& auth_user,
                                          const MaildropHeader& envelope,
                                          const std::string& received, const std::string& message,
                                          std::vector<std::pair<std::string, std::string>>& refused,
                                          std::error_code& ec);
  void bounce(const std::string& id, const std::string& mail_from, const MaildropHeader& envelope,
              const std::string& message,
              const std::vector<std::pair<std::string, std::string>>& refused);
  void loop();

  PickupOptions options_;
  Spool& spool_;
  auth::Directory& directory_;
  Submit submit_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stopping_ = false;
  int inotify_ = -1;
  std::thread thread_;
  std::atomic<std::uint64_t> counter_{0};
};

}  // namespace estafeta::queue
