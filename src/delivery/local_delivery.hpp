// local_delivery: the MDA. With a store (DeliveryOptions::store, what `serve` uses) every
// mailbox gets its own copy through store::Account::deliver (deliver_to_store below).
// Without one it writes one message into the Maildirs of its local recipients,
// writing the bytes once into an unnamed file and linking it, complete, into every mailbox's
// new/ (or, where unnamed files are not available, into the first mailbox's tmp/, hard-linked
// from there into the others' new/ and renamed into its own: a Maildir reader may move files
// from new/ to cur/ at any time, so links are never taken from new/). Fails whole:
// if any mailbox cannot be written, the copies already linked are removed, so a retry never
// duplicates. Each file and directory is fsynced before returning. Adds Return-Path (any
// Return-Path already in the message is removed, RFC 5321 §4.4) and, when there is exactly
// one mailbox, Delivered-To (as Dovecot does: a shared, hard-linked file cannot carry a
// per-recipient header). Blocking: run on a worker thread. Thread-safe: one instance may be
// shared by every worker. Messages are stored byte for byte as received, with the CRLF line
// ends the SMTP core keeps. Input is already accepted mail; it is streamed from the spool
// file in 64 KiB blocks, so memory use is bounded whatever the message size.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <unordered_set>
#include <vector>

#include "auth/directory.hpp"
#include "store/api/store.hpp"

namespace estafeta::delivery {

class GroupSync;

struct DeliveryOptions {
  bool fsync = true;          // config delivery.fsync
  std::string hostname;       // for unique file names; "" = gethostname() at construction
  bool unnamed_files = true;  // O_TMPFILE where available; false: always the tmp/ way (tests)
  // The mailbox store: when set, every message goes through it (store::Account::deliver:
  // a UID at delivery, the index and open IMAP sessions told at once), one message per
  // mailbox, made idempotent by a key per spool entry and mailbox; the Maildir writer below
  // is then unused. Null: files are written straight into the Maildirs (tests, tools).
  store::Store* store = nullptr;
};

// The message to deliver: our Received field, then `length` octets of data, read from `fd` at
// `offset` (a spool file) or, when fd < 0, taken from `bytes`.
struct MessageSource {
  std::string_view received;
  int fd = -1;
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
  std::string_view bytes;
};

class LocalDelivery {
 public:
  explicit LocalDelivery(DeliveryOptions options);
  // `return_path` is the MAIL FROM address, unquoted ("" for the null sender); it is written
  // back in RFC 5321 path form (delivery_headers.hpp). `message` is the message
  // as received (Received header already prepended), CRLF line ends. Creates missing Maildir
  // and folder directories. Returns an error if any target could not be written; targets
  // written before the error stay written.
  std::error_code deliver(std::string_view return_path,
                          std::span<const auth::MailboxTarget> targets, std::string_view message);
  // The same from a spool file. `base_name` (maildir_base_name) names the file in every
  // mailbox; with `skip_existing`, mailboxes that already hold a file of that name are left
  // alone (redelivery after a crash delivers only what is missing). With `defer_sync` nothing
  // is fsynced here: the caller makes the files durable in bulk (sync_filesystems) before it
  // relies on them; `synced_dirs` then receives the Maildirs written.
  std::error_code deliver(std::string_view return_path,
                          std::span<const auth::MailboxTarget> targets, const MessageSource& source,
                          std::string_view base_name, bool skip_existing, bool defer_sync = false,
                          std::vector<std::filesystem::path>* synced_dirs = nullptr);
  // One syncfs() per file system holding one of `dirs` (group commit for deferred deliveries:
  // one flush covers every file, rename and directory written before it began).
  static std::error_code sync_filesystems(const std::vector<std::filesystem::path>& dirs);
  // Directory fsyncs made so far by this instance (group commit shares them).
  uint64_t directory_fsyncs() const;

 private:
  // Maildirs seen complete (cur/ new/ tmp/): later deliveries skip the three stats. A
  // delivery that fails forgets its Maildirs, so the retry checks (and re-creates) them.
  static constexpr std::size_t kMaxKnownMaildirs = 65536;
  std::error_code deliver_once(std::string_view return_path,
                               std::span<const auth::MailboxTarget> targets,
                               const MessageSource& source, std::string_view base_name,
                               bool skip_existing, bool defer_sync,
                               std::vector<std::filesystem::path>* synced_dirs);
  std::error_code deliver_to_store(std::string_view return_path,
                                   std::span<const auth::MailboxTarget> targets,
                                   const MessageSource& source, std::string_view base_name,
                                   bool defer_sync,
                                   std::vector<std::filesystem::path>* synced_dirs);
  bool known_maildir(const std::filesystem::path& dir) const;
  void remember_maildir(const std::filesystem::path& dir, bool known);

  DeliveryOptions options_;
  mutable std::mutex known_mutex_;
  std::unordered_set<std::string> known_;
  std::string escaped_host_;         // options_.hostname escaped for file names
  std::shared_ptr<GroupSync> sync_;  // shared directory fsyncs (delivery_group_sync.hpp)
};

}  // namespace estafeta::delivery
