// store_maildir_account: one account of the embedded store (store_maildir.hpp has the
// layout, the order of effects and the durability rules). Internal to the backend.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "store/api/store.hpp"
#include "store/store_fulltext.hpp"
#include "store/store_index.hpp"
#include "store/store_message_file.hpp"

namespace estafeta::store {

// Change subscribers, shared with the Subscription objects (which may outlive the account).
struct Watchers {
  std::mutex mu;
  std::uint64_t next = 1;
  std::map<std::uint64_t, std::pair<MailboxId, std::function<void(const Change&)>>> list;
};

class MaildirAccount final : public Account {
 public:
  // `fulltext`: keep the full-text index (store_fulltext.hpp) in the account's root.
  MaildirAccount(std::string name, std::filesystem::path root, bool fsync,
                 QuotaLimits default_quota = {}, bool fulltext = true);
  ~MaildirAccount() override;
  // Creates the Maildir and index when missing (with the default mailboxes), rebuilds a
  // missing or unreadable index from the files.
  std::error_code open();

  const std::string& name() const override { return name_; }
  std::error_code list(std::vector<MailboxInfo>& out) override;
  std::error_code find(std::string_view name, MailboxInfo& out) override;
  std::error_code create(std::string_view name, SpecialUse use, MailboxInfo& out) override;
  std::error_code remove(std::string_view name) override;
  std::error_code rename(std::string_view from, std::string_view to) override;
  std::error_code subscriptions(std::vector<std::string>& out) override;
  std::error_code subscribe(std::string_view name, bool on) override;
  std::error_code snapshot(MailboxId mailbox, MailboxInfo& info,
                           std::vector<MessageInfo>& messages) override;
  std::error_code changes_since(MailboxId mailbox, ModSeq since, ChangesSince& out) override;
  std::error_code cached(MailboxId mailbox, Uid uid, CachedFields& out) override;
  std::error_code cached_many(MailboxId mailbox, std::span<const Uid> uids,
                              std::vector<std::optional<CachedFields>>& out) override;
  std::error_code sort_keys(MailboxId mailbox, unsigned fields,
                            std::vector<MessageSortKeys>& out) override;
  std::error_code sort_table(MailboxId mailbox, std::shared_ptr<const SortTable>& out) override;
  std::error_code open(MailboxId mailbox, Uid uid, std::unique_ptr<Blob>& out) override;
  std::error_code open_many(MailboxId mailbox, std::span<const Uid> uids,
                            std::vector<std::unique_ptr<Blob>>& out) override;
  std::error_code append(MailboxId mailbox, const NewMessage& message, AppendResult& out) override;
  std::error_code deliver(std::string_view name, const NewMessage& message,
                          std::string_view delivery_key, bool defer_sync,
                          AppendResult& out) override;
  std::error_code update_flags(MailboxId mailbox, const std::vector<Uid>& uids,
                               const FlagUpdate& update, FlagResult& out) override;
  std::error_code expunge_deleted(MailboxId mailbox, const std::vector<Uid>* among,
                                  std::vector<Uid>& out) override;
  std::error_code expunge(MailboxId mailbox, const std::vector<Uid>& uids,
                          std::vector<Uid>& out) override;
  std::error_code copy(MailboxId from, const std::vector<Uid>& uids, MailboxId to,
                       CopyResult& out) override;
  std::error_code move(MailboxId from, const std::vector<Uid>& uids, MailboxId to,
                       CopyResult& out) override;
  std::unique_ptr<Subscription> watch(MailboxId mailbox,
                                      std::function<void(const Change&)> on_change) override;
  std::error_code rescan(MailboxId mailbox) override;
  // store_maildir_quota.cpp
  std::error_code quota(QuotaState& out) override;
  std::error_code set_quota(const QuotaLimits& own) override;
  std::error_code deleted_size(MailboxId mailbox, std::uint64_t& out) override;
  std::error_code fulltext_search(MailboxId mailbox, TextField field, std::string_view folded,
                                  FulltextResult& out) override;
  std::error_code fulltext_fuzzy(MailboxId mailbox, TextField field, std::string_view folded,
                                 FulltextResult& out) override;
  std::error_code fulltext_catch_up(bool rebuild, FulltextStatus& out) override;
  std::error_code fulltext_status(FulltextStatus& out) override;
  std::error_code check_index(IndexReport& out) override;
  std::error_code rebuild_index(IndexReport& out) override;
  std::error_code acl(MailboxId mailbox, std::vector<AclEntry>& out) override;
  std::error_code set_acl(MailboxId mailbox, std::string_view identifier,
                          std::string_view rights) override;
  std::error_code acl_all(std::vector<std::pair<std::string, AclEntry>>& out) override;
  // Who to tell the account's ACL rows (owner, rows) after set_acl, rename, remove and
  // rebuild_index: the store's registry of shared mailboxes.
  void set_acl_publisher(
      std::function<void(const std::string&, const std::vector<std::pair<std::string, AclEntry>>&)>
          publisher);
  std::error_code metadata(MailboxId mailbox, std::vector<MetadataEntry>& out) override;
  std::error_code set_metadata(MailboxId mailbox, std::span<const MetadataChange> changes) override;

 private:
  // Sends acl_all() to the publisher (when `force`, or when something is or was shared).
  void publish_acl(bool force);
  static std::vector<AclEntry> read_acl_file(const std::filesystem::path& dir);
  std::error_code write_acl_file(const MailboxRow& row);
  using Changes = std::vector<Change>;

  std::filesystem::path dir_of(const MailboxRow& row) const;
  std::filesystem::path file_of(const MailboxRow& row, const MessageRow& m) const;
  MailboxInfo info_of(const MailboxRow& row);
  std::uint32_t next_uid_validity();
  std::error_code create_locked(const std::string& name, SpecialUse use, MailboxRow& out);
  std::error_code ensure_parents(const std::string& name);
  std::error_code ensure_defaults();
  // Maps keywords onto the mailbox's list (adding new ones, spelled as first seen);
  // too_many_keywords past kMaxKeywords. `state_changed` when a new one got a letter.
  std::error_code intern_keywords(MailboxRow& row, Flags& flags, bool& state_changed);
  std::error_code write_state(const MailboxRow& row);
  // Finds the file of `m` when it is not where the index says (another tool renamed it);
  // updates `m` and the index.
  bool relocate(const MailboxRow& row, MessageRow& m);
  // Renames a written tmp file into the mailbox and indexes it, inside an open transaction.
  std::error_code commit_new(MailboxRow& row, const std::filesystem::path& tmp, std::uint64_t size,
                             const CachedFields& cache, Flags flags, std::int64_t internal_date,
                             std::int32_t internal_tz, std::string email_id,
                             std::string_view key_hash, bool durable, Uid& uid,
                             std::filesystem::path& placed);
  // Renames a written tmp file into the mailbox and inserts its index row (no directory stamp,
  // fsync or mailbox row update: the caller does those once), inside an open transaction.
  std::error_code place_new(MailboxRow& row, const std::filesystem::path& tmp,
                            std::string_view unique, std::uint64_t size, const CachedFields& cache,
                            Flags flags, std::int64_t internal_date, std::int32_t internal_tz,
                            std::string email_id, std::string_view key_hash, Uid& uid,
                            std::filesystem::path& placed);
  // A delivery written to tmp/ and waiting for its index commit (deliver()).
  struct PendingDelivery {
    std::string mailbox;  // canonical name
    std::string key_hash;
    const NewMessage* message = nullptr;
    WrittenFile written;
    bool durable = false;
    std::int64_t internal_date = 0;
    std::error_code ec;
    AppendResult out;
    bool done = false;  // under queue_mu_
  };
  // Commits a batch of deliveries in one index transaction (group commit): one WAL append,
  // one lock round, one mailbox row update per mailbox for N messages.
  // `warn`: the quota warning the batch calls for (send_quota_warning after the commit).
  void commit_deliveries(const std::vector<PendingDelivery*>& batch, Changes& changes,
                         std::uint8_t& warn);
  // Runs the rescan of `row` when its directories changed (rescan()'s rule), under mu_.
  std::error_code rescan_if_changed_locked(MailboxRow& row, Changes& changes);
  // Adopts files placed by a delivery that crashed before its index commit (a UID at or
  // above UIDNEXT), so the redelivery finds its key; run when the account opens.
  void adopt_orphans();
  std::error_code transfer(MailboxId from, const std::vector<Uid>& uids, MailboxId to,
                           bool remove_source, CopyResult& out, Changes& changes);
  std::error_code transfer_locked(MailboxRow& src, const std::vector<Uid>& uids, MailboxRow& dst,
                                  bool remove_source, CopyResult& out);
  std::error_code rescan_locked(MailboxRow& row, bool force, bool& changed);
  std::error_code index_file(MailboxRow& row, const std::string& file_name, bool in_new, Uid uid,
                             ModSeq modseq, std::int64_t save_date);
  std::error_code check_locked(IndexReport& out);
  // expunge (among: those UIDs) and expunge_deleted (only_deleted; among null: every one).
  std::error_code open_locked(MailboxId id, Uid uid, std::unique_ptr<Blob>& out);
  std::error_code expunge_where(MailboxId id, const std::vector<Uid>* among, bool only_deleted,
                                std::vector<Uid>& out);
  std::error_code rebuild_locked(IndexReport& out);
  std::error_code read_subscriptions_file(std::vector<std::string>& out);
  std::error_code write_subscriptions_file();
  // RFC 5464 METADATA: the file that keeps a mailbox's entries (the server's at the root)
  // for rebuilds: one "user TAB name TAB base64(value)" line per entry.
  std::filesystem::path metadata_file(MailboxId id, const MailboxRow* row) const;
  std::error_code write_metadata_file(MailboxId id, const MailboxRow* row);
  void read_metadata_file(MailboxId id, const MailboxRow* row, IndexReport& report);
  void notify(const Changes& changes);
  void clean_tmp();
  // Quota (store_maildir_quota.cpp). The account's own limits live in the file estafeta-quota
  // in the root (written by set_quota, possibly from another process: re-read when its
  // identity changes, one stat() per check), so index rebuilds keep them; the 90 % warning's
  // remembered state is the index meta row "quota_warned".
  QuotaLimits quota_limits_locked();
  // Errc::over_quota when adding would pass a limit; `usage` gets the usage before (left at
  // zero, unread, when no limit applies: an account without limits pays no query).
  std::error_code quota_check_locked(std::uint64_t octets, std::uint64_t messages,
                                     std::uint64_t mailboxes, QuotaUsage& usage);
  // Inside the transaction of an append or delivery that found `before` and added `after -
  // before`: the warning rule (store_quota.hpp) with its state kept in the index. Returns
  // the resources to warn about once the transaction has committed (send_quota_warning).
  std::uint8_t quota_warning_locked(const QuotaUsage& before, const QuotaUsage& after);
  // Appends the warning into INBOX, exempt from the limits (no lock held).
  void send_quota_warning(std::uint8_t which);
  std::error_code append_message(MailboxId mailbox, const NewMessage& message, bool exempt,
                                 AppendResult& out);
  // After our own change to the mailbox's directories: the stamp follows it when it was
  // valid before (`before` = the stamp just before the change).
  void restamp(MailboxRow& row, std::int64_t before);

  const std::string name_;
  const std::filesystem::path root_;
  const bool fsync_;
  const QuotaLimits default_quota_;
  std::mutex mu_;
  // The last sort_table() answer (one mailbox per account), valid while the mailbox's
  // UIDVALIDITY, UIDNEXT and message count are those it was read at: a message added raises
  // UIDNEXT, one removed lowers the count, keys never change, and a mailbox deleted and made
  // again (which may get the same id) has another UIDVALIDITY. Guarded by mu_.
  struct SortTableCache {
    MailboxId mailbox = 0;
    std::uint32_t uid_validity = 0;
    Uid uid_next = 0;
    std::uint32_t messages = 0;
    std::shared_ptr<const SortTable> table;
  } sort_cache_;
  // The own-limits file as last read (under mu_): its identity and what it said.
  QuotaLimits own_quota_{kQuotaDefault, kQuotaDefault, kQuotaDefault};
  struct FileId {
    std::int64_t mtime_ns = -1, ino = -1, size = -1;
    bool operator==(const FileId&) const = default;
  } quota_file_;
  Index index_;
  std::shared_ptr<Watchers> watchers_ = std::make_shared<Watchers>();
  std::map<MailboxId, std::chrono::steady_clock::time_point> last_scan_;  // full rescans
  // Group commit of deliveries: the first waiter commits what is queued, the others wait.
  std::mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::vector<PendingDelivery*> queue_;
  bool committing_ = false;
  std::function<void(const std::string&, const std::vector<std::pair<std::string, AclEntry>>&)>
      acl_publisher_;
  std::atomic<bool> acl_published_{true};  // unknown at first: the first change publishes
  // Last, so that it (and its indexer thread, which reads this account) goes first.
  std::unique_ptr<FulltextIndex> fulltext_;
};

}  // namespace estafeta::store
