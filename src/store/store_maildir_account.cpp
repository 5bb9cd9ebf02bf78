// store_maildir_account: see store_maildir_account.hpp and store_maildir.hpp.
#include "store/store_maildir_account.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <fstream>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>

#include "base/fault_injection.hpp"
#include "base/log.hpp"
#include "store/store_folder_names.hpp"
#include "store/store_maildir_files.hpp"
#include "store/store_message_file.hpp"

namespace estafeta::store {
namespace fs = std::filesystem;
namespace {

constexpr const char* kSubscriptionsFile = "subscriptions";
// RFC 4314 ACL of a mailbox, in its folder (renamed and removed with it): "identifier rights"
// lines, read back by a rebuild.
constexpr const char* kAclFile = "estafeta-acl";
constexpr std::int64_t kDeliveryKeyLifetime = 14 * 24 * 3600;  // seconds

std::error_code last_error() {
  return {errno, std::generic_category()};
}

std::int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::int64_t now_micros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool iequal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

bool has_keyword(const Flags& f, std::string_view k) {
  return std::any_of(f.keywords.begin(), f.keywords.end(),
                     [&](const std::string& x) { return iequal(x, k); });
}

void normalize(Flags& f) {
  std::sort(f.keywords.begin(), f.keywords.end());
  std::vector<std::string> out;
  for (auto& k : f.keywords)
    if (!has_keyword(Flags{0, out}, k)) out.push_back(std::move(k));
  f.keywords = std::move(out);
}

struct Default {
  const char* name;
  SpecialUse use;
};
constexpr Default kDefaults[] = {{"Sent", SpecialUse::sent},
                                 {"Drafts", SpecialUse::drafts},
                                 {"Trash", SpecialUse::trash},
                                 {"Junk", SpecialUse::junk},
                                 {"Archive", SpecialUse::archive}};

SpecialUse default_use(std::string_view name) {
  for (const auto& d : kDefaults)
    if (name == d.name) return d.use;
  return SpecialUse::none;
}

bool is_inferior(std::string_view name, std::string_view parent) {
  return name.size() > parent.size() + 1 && name.substr(0, parent.size()) == parent &&
         name[parent.size()] == '/';
}

class WatchSubscription final : public Subscription {
 public:
  WatchSubscription(std::weak_ptr<Watchers> w, std::uint64_t id) : w_(std::move(w)), id_(id) {}
  ~WatchSubscription() override {
    if (auto w = w_.lock()) {
      std::lock_guard lock(w->mu);
      w->list.erase(id_);
    }
  }

 private:
  std::weak_ptr<Watchers> w_;
  std::uint64_t id_;
};

}  // namespace

MaildirAccount::MaildirAccount(std::string name, fs::path root, bool fsync,
                               QuotaLimits default_quota, bool fulltext)
    : name_(std::move(name)), root_(std::move(root)), fsync_(fsync), default_quota_(default_quota) {
  if (fulltext) fulltext_ = std::make_unique<FulltextIndex>(*this, root_ / kFulltextFile);
}

MaildirAccount::~MaildirAccount() {
  fulltext_.reset();  // stops the indexer while the account is whole
}

fs::path MaildirAccount::dir_of(const MailboxRow& row) const {
  return row.dir.empty() ? root_ : root_ / row.dir;
}

fs::path MaildirAccount::file_of(const MailboxRow& row, const MessageRow& m) const {
  if (m.in_new) return dir_of(row) / "new" / m.base;
  return dir_of(row) / "cur" / (m.base + ":2," + m.file_info);
}

MailboxInfo MaildirAccount::info_of(const MailboxRow& row) {
  MailboxInfo info;
  info.id = row.id;
  info.name = row.name;
  info.special_use = row.special_use;
  info.uid_validity = row.uid_validity;
  info.uid_next = row.uid_next;
  info.highest_modseq = row.highest_modseq;
  info.messages = row.messages;
  info.unseen = row.unseen;
  info.deleted = row.deleted;
  info.size = row.size;
  return info;
}

std::uint32_t MaildirAccount::next_uid_validity() {
  auto last = static_cast<std::uint32_t>(index_.meta("last_uidvalidity", 0));
  auto now = static_cast<std::uint32_t>(now_seconds());
  std::uint32_t v = std::max(now, last + 1);
  if (v == 0) v = 1;
  index_.set_meta("last_uidvalidity", v);
  return v;
}

std::error_code MaildirAccount::write_state(const MailboxRow& row) {
  MailboxFile f;
  f.uid_validity = row.uid_validity;
  f.uid_next = row.uid_next;
  f.special_use = row.special_use;
  for (std::size_t i = 0; i < row.keywords.size() && i < kMaxKeywordLetters; ++i)
    f.keywords.push_back(row.keywords[i]);
  return write_mailbox_file(dir_of(row), f, fsync_);
}

// ---- opening, rebuilding ---------------------------------------------------------------

std::error_code MaildirAccount::open() {
  std::lock_guard lock(mu_);
  if (auto ec = ensure_maildir(root_, fsync_)) return ec;
  const fs::path file = root_ / kIndexFile;
  bool created = false;
  std::error_code ec = index_.open(file, created);
  if (ec == Errc::index_corrupt) {
    const std::int64_t format = index_.other_format();
    index_.close();
    fs::path aside =
        root_ / (format ? fmt::format("{}.format-{}-{}", kIndexFile, format, now_seconds())
                        : fmt::format("{}.corrupt-{}", kIndexFile, now_seconds()));
    if (format)
      log::info("store", "{}: index {} is of format {}; moved to {} and rebuilt from the Maildir",
                name_, file.string(), format, aside.string());
    else
      log::warn("store", "{}: index {} is damaged; moved to {} and rebuilt from the Maildir", name_,
                file.string(), aside.string());
    std::error_code ignore;
    fs::rename(file, aside, ignore);
    fs::remove(fs::path(file.string() + "-wal"), ignore);
    fs::remove(fs::path(file.string() + "-shm"), ignore);
    ec = index_.open(file, created);
    created = true;
  }
  if (ec) return ec;
  if (created) {
    IndexReport report;
    Transaction tx(index_.db());
    if (tx.begin_error()) return tx.begin_error();
    if (auto e = rebuild_locked(report)) return e;
    if (auto e = tx.commit()) return e;
    if (report.messages > 0)
      log::info("store", "{}: index built from the Maildir: {} mailboxes, {} messages", name_,
                report.mailboxes, report.messages);
  }
  index_.prune_deliveries(now_seconds() - kDeliveryKeyLifetime);
  if (!created) adopt_orphans();
  clean_tmp();
  return {};
}

void MaildirAccount::restamp(MailboxRow& row, std::int64_t before) {
  // Our own change keeps the stamp valid only if nothing else had changed the directory.
  if (before == row.stamp && before != 0) row.stamp = maildir_stamp(dir_of(row));
}

void MaildirAccount::adopt_orphans() {
  std::vector<MailboxRow> rows;
  if (index_.mailboxes(rows)) return;
  for (auto& row : rows) {
    std::vector<ScannedFile> files;
    if (scan_maildir(dir_of(row), files)) continue;
    bool orphan = std::any_of(files.begin(), files.end(), [&](const ScannedFile& f) {
      return parse_file_name(f.name).uid >= row.uid_next;
    });
    if (!orphan) continue;
    Transaction tx(index_.db());
    bool changed = false;
    if (tx.begin_error() || index_.mailbox(row.id, row) || rescan_locked(row, true, changed))
      continue;
    if (fsync_) fsync_dir(dir_of(row) / "new"), fsync_dir(dir_of(row) / "cur");
    if (!tx.commit() && changed)
      log::info("store", "{}: mailbox {}: messages placed before an interrupted commit adopted",
                name_, row.name);
  }
}

void MaildirAccount::clean_tmp() {
  // Maildir's rule: a file left in tmp/ for 36 hours is a writer's leftover. Mailboxes whose
  // removal was interrupted (root tmp/deleted-*) go too.
  std::vector<MailboxRow> rows;
  if (index_.mailboxes(rows)) return;
  const auto cutoff = fs::file_time_type::clock::now() - std::chrono::hours(36);
  for (const auto& row : rows) {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir_of(row) / "tmp", ec)) {
      std::error_code e2;
      if (row.dir.empty() && e.is_directory(e2) &&
          e.path().filename().string().rfind("deleted-", 0) == 0) {
        fs::remove_all(e.path(), e2);
      } else if (e.is_regular_file(e2) && e.last_write_time(e2) < cutoff && !e2) {
        fs::remove(e.path(), e2);
      }
    }
  }
}

std::error_code MaildirAccount::ensure_defaults() {
  MailboxRow row;
  if (index_.mailbox("INBOX", row) == Errc::no_such_mailbox)
    if (auto ec = create_locked("INBOX", SpecialUse::none, row)) return ec;
  for (const auto& d : kDefaults) {
    if (index_.mailbox(d.name, row) == Errc::no_such_mailbox)
      if (auto ec = create_locked(d.name, d.use, row)) return ec;
  }
  return {};
}

std::vector<AclEntry> MaildirAccount::read_acl_file(const fs::path& dir) {
  std::vector<AclEntry> out;
  std::ifstream in(dir / kAclFile);
  std::string line;
  while (in && std::getline(in, line) && out.size() < 1000) {
    std::size_t sp = line.find(' ');
    if (sp == std::string::npos || sp == 0 || sp + 1 >= line.size()) continue;
    out.push_back({line.substr(0, sp), line.substr(sp + 1)});
  }
  return out;
}

std::error_code MaildirAccount::write_acl_file(const MailboxRow& row) {
  std::vector<AclEntry> entries;
  if (auto ec = index_.acl(row.id, entries)) return ec;
  const fs::path dir = dir_of(row);
  if (entries.empty()) {
    if (::unlink((dir / kAclFile).c_str()) != 0 && errno != ENOENT) return last_error();
    if (fsync_) return fsync_dir(dir);
    return {};
  }
  std::string text;
  for (const auto& e : entries) text += e.identifier + " " + e.rights + "\n";
  fs::path tmp = dir / (std::string(kAclFile) + ".tmp");
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return last_error();
  std::error_code ec;
  if (::write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size())) ec = last_error();
  if (!ec && fsync_ && ::fsync(fd) != 0) ec = last_error();
  ::close(fd);
  if (!ec && ::rename(tmp.c_str(), (dir / kAclFile).c_str()) != 0) ec = last_error();
  if (!ec && fsync_) ec = fsync_dir(dir);
  return ec;
}

std::error_code MaildirAccount::acl(MailboxId mailbox, std::vector<AclEntry>& out) {
  std::lock_guard lock(mu_);
  MailboxRow row;
  if (auto ec = index_.mailbox(mailbox, row)) return ec;
  return index_.acl(mailbox, out);
}

std::error_code MaildirAccount::set_acl(MailboxId mailbox, std::string_view identifier,
                                        std::string_view rights) {
  if (identifier.empty() || identifier.find_first_of(" \r\n") != std::string_view::npos ||
      rights.find_first_of(" \r\n") != std::string_view::npos)
    return std::make_error_code(std::errc::invalid_argument);
  {
    std::lock_guard lock(mu_);
    Transaction tx(index_.db());
    if (tx.begin_error()) return tx.begin_error();
    MailboxRow row;
    if (auto ec = index_.mailbox(mailbox, row)) return ec;
    if (auto ec = index_.set_acl(mailbox, identifier, rights)) return ec;
    if (auto ec = write_acl_file(row)) return ec;
    if (auto ec = tx.commit()) return ec;
  }
  publish_acl(true);
  return {};
}

std::error_code MaildirAccount::acl_all(std::vector<std::pair<std::string, AclEntry>>& out) {
  std::lock_guard lock(mu_);
  return index_.acl_all(out);
}

void MaildirAccount::publish_acl(bool force) {
  std::function<void(const std::string&, const std::vector<std::pair<std::string, AclEntry>>&)>
      publisher;
  {
    std::lock_guard lock(mu_);
    publisher = acl_publisher_;
  }
  if (!publisher) return;
  std::vector<std::pair<std::string, AclEntry>> rows;
  if (acl_all(rows)) return;
  // Nothing shared now and nothing published before: the registry has no rows to change.
  if (!force && rows.empty() && !acl_published_.exchange(false)) return;
  acl_published_ = !rows.empty();
  publisher(name_, rows);
}

void MaildirAccount::set_acl_publisher(
    std::function<void(const std::string&, const std::vector<std::pair<std::string, AclEntry>>&)>
        publisher) {
  std::lock_guard lock(mu_);
  acl_publisher_ = std::move(publisher);
}

std::error_code MaildirAccount::read_subscriptions_file(std::vector<std::string>& out) {
  std::ifstream in(root_ / kSubscriptionsFile);
  std::string line;
  while (in && std::getline(in, line))
    if (!line.empty() && valid_mailbox_name(line)) out.push_back(canonical_mailbox_name(line));
  return {};
}

std::error_code MaildirAccount::write_subscriptions_file() {
  std::vector<std::string> subs;
  if (auto ec = index_.subscriptions(subs)) return ec;
  std::string text;
  for (const auto& s : subs) text += s + "\n";
  fs::path tmp = root_ / (std::string(kSubscriptionsFile) + ".tmp");
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return last_error();
  std::error_code ec;
  if (::write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size())) ec = last_error();
  if (!ec && fsync_ && ::fsync(fd) != 0) ec = last_error();
  ::close(fd);
  if (!ec && ::rename(tmp.c_str(), (root_ / kSubscriptionsFile).c_str()) != 0) ec = last_error();
  if (!ec && fsync_) ec = fsync_dir(root_);
  return ec;
}

std::error_code MaildirAccount::index_file(MailboxRow& row, const std::string& file_name,
                                           bool in_new, Uid uid, ModSeq modseq,
                                           std::int64_t save_date) {
  FileName f = parse_file_name(file_name);
  MessageRow m;
  m.base = f.base;
  m.in_new = in_new;
  m.file_info = in_new ? "" : f.info;
  m.info.uid = uid;
  m.info.modseq = modseq;
  m.info.save_date = save_date;
  m.info.email_id = f.email_id;
  if (!in_new) m.info.flags = flags_from_info(f.info, row.keywords);
  CachedFields cache;
  std::uint64_t file_size = 0;
  std::int64_t mtime = 0;
  const fs::path path = dir_of(row) / (in_new ? "new" : "cur") / file_name;
  if (auto ec = read_message_file(path, cache, m.info.size, file_size, mtime)) return ec;
  m.info.internal_date = mtime;
  return index_.insert_message(row.id, m, cache);
}

// Gives `file_name` (in dir/sub) the UID `uid` and an email id in its name; returns the new
// file name.
static std::error_code rename_with_uid(const fs::path& dir, bool in_new,
                                       const std::string& file_name, Uid uid,
                                       std::string& new_name) {
  FileName f = parse_file_name(file_name);
  std::string id = f.email_id.empty() ? new_email_id() : f.email_id;
  std::string base = rebase_name(f, uid, id);
  new_name = f.has_info ? base + ":2," + f.info : base;
  if (in_new) new_name = base;
  const fs::path sub = dir / (in_new ? "new" : "cur");
  if (::rename((sub / file_name).c_str(), (sub / new_name).c_str()) != 0) return last_error();
  return {};
}

std::error_code MaildirAccount::rebuild_locked(IndexReport& report) {
  // Ids and the highest MODSEQ of the old index, when it has them (kept / exceeded).
  std::vector<MailboxRow> old;
  index_.mailboxes(old);
  std::unordered_map<std::string, MailboxId> old_ids;
  ModSeq old_highest = 0;
  for (const auto& r : old) {
    old_ids[r.dir] = r.id;
    old_highest = std::max(old_highest, r.highest_modseq);
  }
  const ModSeq modseq = std::max<ModSeq>(static_cast<ModSeq>(now_micros()), old_highest + 1);
  if (auto ec = index_.clear()) return ec;
  // Thread ids are given once every message is in, in arrival order (assign_threads below).
  index_.set_assign_threads(false);
  struct ThreadsOn {
    Index& index;
    ~ThreadsOn() { index.set_assign_threads(true); }
  } threads_on{index_};

  // The Maildir root (INBOX) and every folder directory in it.
  std::vector<std::string> dirs{""};
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(root_, ec)) {
    std::string n = e.path().filename().string();
    if (n.size() < 2 || n[0] != '.' || n == "..") continue;
    std::error_code e2;
    if (!e.is_directory(e2)) continue;
    if (!fs::is_directory(e.path() / "cur", e2) && !fs::is_directory(e.path() / "new", e2))
      continue;
    dirs.push_back(n);
  }
  if (ec) return ec;
  std::sort(dirs.begin(), dirs.end());
  // Mailboxes that keep their old id are inserted first, so a new one never takes it.
  std::stable_partition(dirs.begin(), dirs.end(),
                        [&](const std::string& d) { return old_ids.count(d) > 0; });

  std::set<std::uint32_t> validities;
  std::set<std::string> names;
  std::uint32_t last_validity = static_cast<std::uint32_t>(index_.meta("last_uidvalidity", 0));
  const std::int64_t now = now_seconds();
  for (const auto& dir : dirs) {
    auto name = mailbox_of_folder_dir(dir);
    if (!name || (!dir.empty() && canonical_mailbox_name(*name) == "INBOX") ||
        !valid_mailbox_name(*name) || names.count(*name)) {
      report.problems.push_back(fmt::format("folder {} has no valid mailbox name: skipped", dir));
      continue;
    }
    names.insert(*name);
    MailboxRow row;
    row.name = *name;
    row.dir = dir;
    if (auto it = old_ids.find(dir); it != old_ids.end()) row.id = it->second;
    MailboxFile state;
    bool have_state = read_mailbox_file(dir_of(row), state);
    bool rewrite = !have_state;
    if (have_state && !validities.count(state.uid_validity)) {
      row.uid_validity = state.uid_validity;
      row.uid_next = state.uid_next;
      row.special_use = state.special_use;
      row.keywords = state.keywords;
    } else {
      if (have_state) {
        report.problems.push_back(
            fmt::format("mailbox {}: UIDVALIDITY {} also used by another "
                        "mailbox: given a new one",
                        *name, state.uid_validity));
        row.uid_next = state.uid_next;
        row.keywords = state.keywords;
        row.special_use = state.special_use;
      } else {
        row.special_use = default_use(*name);
      }
      row.uid_validity = std::max({static_cast<std::uint32_t>(now), last_validity + 1,
                                   validities.empty() ? 0u : *validities.rbegin() + 1});
      rewrite = true;
    }
    validities.insert(row.uid_validity);
    last_validity = std::max(last_validity, row.uid_validity);
    row.highest_modseq = modseq;

    std::vector<ScannedFile> files;
    if (auto e = scan_maildir(dir_of(row), files)) return e;
    row.stamp = maildir_stamp(dir_of(row));
    // UIDs from the names: the first file (by name) with a UID keeps it.
    std::sort(files.begin(), files.end(),
              [](const ScannedFile& a, const ScannedFile& b) { return a.name < b.name; });
    std::set<Uid> used;
    std::vector<std::pair<const ScannedFile*, Uid>> keep;
    std::vector<const ScannedFile*> fresh;
    for (const auto& f : files) {
      FileName fn = parse_file_name(f.name);
      if (fn.uid != 0 && used.insert(fn.uid).second && !fn.email_id.empty()) {
        keep.emplace_back(&f, fn.uid);
        row.uid_next = std::max<Uid>(row.uid_next, fn.uid + 1);
      } else {
        fresh.push_back(&f);
      }
    }
    if (auto e = index_.insert_mailbox(row)) return e;
    for (const auto& a : read_acl_file(dir_of(row)))
      if (auto e = index_.set_acl(row.id, a.identifier, a.rights)) return e;
    read_metadata_file(row.id, &row, report);  // RFC 5464 entries kept beside the messages
    for (const auto& [f, uid] : keep) {
      if (auto e = index_file(row, f->name, f->in_new, uid, modseq, now)) {
        report.problems.push_back(fmt::format("mailbox {}: {}: {}", *name, f->name, e.message()));
        continue;
      }
      ++report.messages;
    }
    for (const ScannedFile* f : fresh) {
      Uid uid = row.uid_next++;
      std::string new_name;
      if (auto e = rename_with_uid(dir_of(row), f->in_new, f->name, uid, new_name)) {
        report.problems.push_back(fmt::format("mailbox {}: {}: {}", *name, f->name, e.message()));
        continue;
      }
      if (auto e = index_file(row, new_name, f->in_new, uid, modseq, now)) {
        report.problems.push_back(fmt::format("mailbox {}: {}: {}", *name, new_name, e.message()));
        continue;
      }
      ++report.added;
      ++report.messages;
      rewrite = true;
    }
    if (!fresh.empty() && fsync_) {  // the renames that gave files their UIDs
      fsync_dir(dir_of(row) / "new");
      fsync_dir(dir_of(row) / "cur");
    }
    if (rewrite || row.uid_next != state.uid_next) {
      if (auto e = write_state(row)) return e;
    }
    row.file_uid_next = row.uid_next;
    row.stamp = maildir_stamp(dir_of(row));
    if (auto e = index_.update_mailbox(row)) return e;
    ++report.mailboxes;
  }
  index_.set_meta("last_uidvalidity", last_validity);
  read_metadata_file(0, nullptr, report);
  std::vector<std::string> subs;
  read_subscriptions_file(subs);
  for (const auto& s : subs) index_.subscribe(s, true);
  if (auto e = index_.assign_threads()) return e;  // RFC 8474 THREADID from the files' ids
  if (auto e = ensure_defaults()) return e;
  return {};
}

// ---- mailboxes ---------------------------------------------------------------------------

// list() and find() rescan first (two stat() calls per mailbox when nothing changed), so that
// STATUS, LIST-STATUS and NOOP see files other programs dropped into the Maildir.
std::error_code MaildirAccount::list(std::vector<MailboxInfo>& out) {
  out.clear();
  Changes changes;
  {
    std::lock_guard lock(mu_);
    std::vector<MailboxRow> rows;
    if (auto ec = index_.mailboxes(rows)) return ec;
    for (auto& r : rows) {
      if (auto ec = rescan_if_changed_locked(r, changes)) {
        log::warn("store", "{}: cannot rescan {}: {}", name_, r.name, ec.message());
        index_.mailbox(r.id, r);  // as committed
      }
    }
    for (const auto& r : rows) out.push_back(info_of(r));
  }
  notify(changes);
  return {};
}

std::error_code MaildirAccount::find(std::string_view raw, MailboxInfo& out) {
  std::string name = canonical_mailbox_name(raw);
  if (!valid_mailbox_name(name)) return Errc::bad_mailbox_name;
  Changes changes;
  {
    std::lock_guard lock(mu_);
    MailboxRow row;
    if (auto ec = index_.mailbox(name, row)) return ec;
    if (auto ec = rescan_if_changed_locked(row, changes)) {
      log::warn("store", "{}: cannot rescan {}: {}", name_, row.name, ec.message());
      index_.mailbox(row.id, row);  // as committed
    }
    out = info_of(row);
  }
  notify(changes);
  return {};
}

std::error_code MaildirAccount::create_locked(const std::string& name, SpecialUse use,
                                              MailboxRow& out) {
  MailboxRow row;
  row.name = name;
  row.dir = folder_dir_of(name);
  // One directory name per mailbox (Maildir++ flattens the hierarchy): a name whose folder
  // would exceed the file system's limit on a name is refused like any invalid one.
  if (row.dir.size() > kMaxFolderDir) return Errc::bad_mailbox_name;
  row.special_use = use;
  MailboxFile state;
  const fs::path dir = dir_of(row);
  if (read_mailbox_file(dir, state)) {
    // A directory left by an earlier life of this mailbox (or a lost index): keep its UIDs.
    row.uid_validity = state.uid_validity;
    row.uid_next = state.uid_next;
    row.keywords = state.keywords;
    if (use == SpecialUse::none) row.special_use = state.special_use;
    std::vector<MailboxRow> all;
    index_.mailboxes(all);
    for (const auto& r : all)
      if (r.uid_validity == row.uid_validity) row.uid_validity = next_uid_validity();
  } else {
    row.uid_validity = next_uid_validity();
  }
  if (auto ec = ensure_maildir(dir, fsync_)) return ec;
  if (!row.dir.empty()) {
    int fd = ::open((dir / "maildirfolder").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    if (fd >= 0) ::close(fd);
  }
  row.file_uid_next = row.uid_next;
  if (auto ec = write_state(row)) return ec;
  row.stamp = 0;  // a directory that had files is scanned at the first rescan
  if (auto ec = index_.insert_mailbox(row)) return ec;
  out = row;
  return {};
}

std::error_code MaildirAccount::ensure_parents(const std::string& name) {
  for (std::size_t pos = name.find('/'); pos != std::string::npos; pos = name.find('/', pos + 1)) {
    std::string parent = name.substr(0, pos);
    MailboxRow row;
    std::error_code ec = index_.mailbox(parent, row);
    if (ec == Errc::no_such_mailbox) ec = create_locked(parent, SpecialUse::none, row);
    if (ec) return ec;
  }
  return {};
}

std::error_code MaildirAccount::create(std::string_view raw, SpecialUse use, MailboxInfo& out) {
  std::string name = canonical_mailbox_name(raw);
  if (!valid_mailbox_name(name)) return Errc::bad_mailbox_name;
  {
    std::lock_guard lock(mu_);
    Transaction tx(index_.db());
    if (tx.begin_error()) return tx.begin_error();
    MailboxRow row;
    std::error_code ec = index_.mailbox(name, row);
    if (!ec) return Errc::mailbox_exists;
    if (ec != Errc::no_such_mailbox) return ec;
    // RFC 9208 §5.3 MAILBOX: the mailbox and the parents it brings count.
    std::uint64_t fresh = 1;
    for (std::size_t pos = name.find('/'); pos != std::string::npos; pos = name.find('/', pos + 1))
      if (index_.mailbox(name.substr(0, pos), row) == Errc::no_such_mailbox) ++fresh;
    QuotaUsage usage;
    if ((ec = quota_check_locked(0, 0, fresh, usage))) return ec;
    if ((ec = ensure_parents(name))) return ec;
    if ((ec = create_locked(name, use, row))) return ec;
    if (fsync_ && (ec = fsync_dir(root_))) return ec;
    if ((ec = tx.commit())) return ec;
    out = info_of(row);
  }
  notify({Change{out.id, out.highest_modseq, Change::Kind::created, out.name, {}, false}});
  return {};
}

std::error_code MaildirAccount::remove(std::string_view raw) {
  std::string name = canonical_mailbox_name(raw);
  if (!valid_mailbox_name(name)) return Errc::bad_mailbox_name;
  if (name == "INBOX") return Errc::cannot_delete_inbox;
  Changes changes;
  fs::path doomed;
  {
    std::lock_guard lock(mu_);
    Transaction tx(index_.db());
    if (tx.begin_error()) return tx.begin_error();
    MailboxRow row;
    if (auto ec = index_.mailbox(name, row)) return ec;
    // Out of sight in one rename (into the root's tmp/, which no reader lists), then removed.
    doomed = root_ / "tmp" / fmt::format("deleted-{}", unique_name());
    if (::rename(dir_of(row).c_str(), doomed.c_str()) != 0 && errno != ENOENT) return last_error();
    if (fsync_)
      if (auto ec = fsync_dir(root_)) return ec;
    if (auto ec = index_.delete_mailbox(row.id)) return ec;
    if (auto ec = tx.commit()) return ec;
    changes.push_back({row.id, row.highest_modseq + 1, Change::Kind::deleted, name, {}, false});
  }
  std::error_code ignore;
  fs::remove_all(doomed, ignore);
  notify(changes);
  publish_acl(false);
  return {};
}

std::error_code MaildirAccount::rename(std::string_view from_raw, std::string_view to_raw) {
  std::string from = canonical_mailbox_name(from_raw);
  std::string to = canonical_mailbox_name(to_raw);
  if (!valid_mailbox_name(from) || !valid_mailbox_name(to)) return Errc::bad_mailbox_name;
  if (to == "INBOX") return Errc::mailbox_exists;
  if (is_inferior(to, from) || from == to) return Errc::bad_mailbox_name;
  Changes changes;
  {
    std::lock_guard lock(mu_);
    Transaction tx(index_.db());
    if (tx.begin_error()) return tx.begin_error();
    MailboxRow src;
    if (auto ec = index_.mailbox(from, src)) return ec;
    MailboxRow existing;
    std::error_code ec = index_.mailbox(to, existing);
    if (!ec) return Errc::mailbox_exists;
    if (ec != Errc::no_such_mailbox) return ec;
    if (from == "INBOX") {
      // RFC 9051 §6.3.6: the messages move to a new mailbox; INBOX stays, empty.
      if ((ec = ensure_parents(to))) return ec;
      MailboxRow dst;
      if ((ec = create_locked(to, SpecialUse::none, dst))) return ec;
      std::vector<MessageRow> msgs;
      if ((ec = index_.messages(src.id, msgs))) return ec;
      std::vector<Uid> uids;
      for (const auto& m : msgs) uids.push_back(m.info.uid);
      CopyResult result;
      if ((ec = transfer_locked(src, uids, dst, true, result))) return ec;
      if (fsync_ && (ec = fsync_dir(root_))) return ec;
      if ((ec = tx.commit())) return ec;
      changes.push_back({src.id, src.highest_modseq});
      // RFC 5465 §5.4: a renamed INBOX is a new mailbox (and INBOX stays).
      changes.push_back({dst.id, dst.highest_modseq, Change::Kind::created, to, {}, false});
    } else {
      std::vector<MailboxRow> all, moving;
      if ((ec = index_.mailboxes(all))) return ec;
      for (const auto& r : all)
        if (r.name == from || is_inferior(r.name, from)) moving.push_back(r);
      for (const auto& r : moving) {
        std::string target = to + r.name.substr(from.size());
        if (!valid_mailbox_name(target) || folder_dir_of(target).size() > kMaxFolderDir)
          return Errc::bad_mailbox_name;
        if (index_.mailbox(target, existing) != Errc::no_such_mailbox) return Errc::mailbox_exists;
      }
      if ((ec = ensure_parents(to))) return ec;
      // Children first is not needed: Maildir++ folders are siblings in the root.
      std::vector<std::pair<fs::path, fs::path>> done;
      for (auto& r : moving) {
        fs::path old_dir = dir_of(r);
        r.name = to + r.name.substr(from.size());
        r.dir = folder_dir_of(r.name);
        fs::path new_dir = dir_of(r);
        std::error_code e2;
        if (fs::exists(new_dir, e2))
          ec = std::make_error_code(std::errc::file_exists);
        else if (::rename(old_dir.c_str(), new_dir.c_str()) != 0 && errno != ENOENT)
          ec = last_error();
        if (!ec) ec = index_.update_mailbox(r);
        if (ec) {
          for (auto it = done.rbegin(); it != done.rend(); ++it)
            ::rename(it->second.c_str(), it->first.c_str());
          if (ec == std::errc::file_exists) return Errc::mailbox_exists;
          return ec;
        }
        done.emplace_back(old_dir, new_dir);
        changes.push_back({r.id, r.highest_modseq, Change::Kind::renamed, r.name,
                           from + r.name.substr(to.size()), false});
      }
      if (fsync_ && (ec = fsync_dir(root_))) return ec;
      if ((ec = tx.commit())) {
        for (auto it = done.rbegin(); it != done.rend(); ++it)
          ::rename(it->second.c_str(), it->first.c_str());
        return ec;
      }
    }
  }
  notify(changes);
  publish_acl(false);
  return {};
}

std::error_code MaildirAccount::subscriptions(std::vector<std::string>& out) {
  std::lock_guard lock(mu_);
  return index_.subscriptions(out);
}

std::error_code MaildirAccount::subscribe(std::string_view raw, bool on) {
  std::string name = canonical_mailbox_name(raw);
  if (!valid_mailbox_name(name)) return Errc::bad_mailbox_name;
  {
    std::lock_guard lock(mu_);
    Transaction tx(index_.db());
    if (tx.begin_error()) return tx.begin_error();
    if (auto ec = index_.subscribe(name, on)) return ec;
    if (auto ec = write_subscriptions_file()) return ec;
    if (auto ec = tx.commit()) return ec;
  }
  notify({Change{0, 0, Change::Kind::subscription, name, {}, on}});
  return {};
}

// ---- messages ----------------------------------------------------------------------------

std::error_code MaildirAccount::snapshot(MailboxId id, MailboxInfo& info,
                                         std::vector<MessageInfo>& messages) {
  // A snapshot (SELECT) sees what other programs put into the Maildir: cheap when nothing did.
  if (auto ec = rescan(id); ec == Errc::no_such_mailbox) return ec;
  std::lock_guard lock(mu_);
  ReadTransaction tx(index_.db());  // one consistent read
  MailboxRow row;
  if (auto ec = index_.mailbox(id, row)) return ec;
  std::vector<MessageRow> rows;
  if (auto ec = index_.messages(id, rows)) return ec;
  info = info_of(row);
  messages.clear();
  messages.reserve(rows.size());
  for (auto& r : rows) messages.push_back(std::move(r.info));
  return {};
}

std::error_code MaildirAccount::changes_since(MailboxId id, ModSeq since, ChangesSince& out) {
  std::lock_guard lock(mu_);
  ReadTransaction tx(index_.db());
  MailboxRow row;
  if (auto ec = index_.mailbox(id, row)) return ec;
  if (auto ec = index_.changed_since(id, since, out.changed)) return ec;
  if (auto ec = index_.expunged_since(id, since, out.expunged)) return ec;
  out.mailbox = info_of(row);
  return {};
}

std::error_code MaildirAccount::cached(MailboxId id, Uid uid, CachedFields& out) {
  std::lock_guard lock(mu_);
  return index_.cached(id, uid, out);
}

std::error_code MaildirAccount::cached_many(MailboxId id, std::span<const Uid> uids,
                                            std::vector<std::optional<CachedFields>>& out) {
  out.clear();
  out.resize(uids.size());
  std::lock_guard lock(mu_);
  ReadTransaction tx(index_.db());
  MailboxRow row;
  if (auto ec = index_.mailbox(id, row)) return ec;
  for (std::size_t i = 0; i < uids.size(); ++i) {
    CachedFields c;
    std::error_code ec = index_.cached(id, uids[i], c);
    if (ec && ec != Errc::no_such_message) return ec;
    if (!ec) out[i] = std::move(c);
  }
  return {};
}

std::error_code MaildirAccount::sort_keys(MailboxId id, unsigned fields,
                                          std::vector<MessageSortKeys>& out) {
  std::lock_guard lock(mu_);
  ReadTransaction tx(index_.db());
  MailboxRow row;
  if (auto ec = index_.mailbox(id, row)) return ec;
  return index_.sort_keys(id, fields, out);
}

std::error_code MaildirAccount::sort_table(MailboxId id, std::shared_ptr<const SortTable>& out) {
  std::lock_guard lock(mu_);
  ReadTransaction tx(index_.db());
  MailboxRow row;
  if (auto ec = index_.mailbox(id, row)) return ec;
  SortTableCache& c = sort_cache_;
  if (c.table && c.mailbox == id && c.uid_validity == row.uid_validity &&
      c.uid_next == row.uid_next && c.messages == row.messages) {
    out = c.table;
    return {};
  }
  std::vector<MessageSortKeys> rows;
  if (auto ec = index_.sort_keys(id, ~0u, rows)) return ec;
  auto table = std::make_shared<const SortTable>(std::move(rows));
  c = {id, row.uid_validity, row.uid_next, row.messages, table};
  out = std::move(table);
  return {};
}

bool MaildirAccount::relocate(const MailboxRow& row, MessageRow& m) {
  std::vector<ScannedFile> files;
  if (scan_maildir(dir_of(row), files)) return false;
  for (const auto& f : files) {
    FileName fn = parse_file_name(f.name);
    if (fn.base != m.base) continue;
    m.in_new = f.in_new;
    m.file_info = f.in_new ? "" : fn.info;
    index_.update_file(row.id, m.info.uid, m.base, m.in_new, m.file_info);
    return true;
  }
  return false;
}

std::error_code MaildirAccount::open(MailboxId id, Uid uid, std::unique_ptr<Blob>& out) {
  std::lock_guard lock(mu_);
  return open_locked(id, uid, out);
}

std::error_code MaildirAccount::open_many(MailboxId id, std::span<const Uid> uids,
                                          std::vector<std::unique_ptr<Blob>>& out) {
  out.clear();
  out.resize(uids.size());
  std::lock_guard lock(mu_);
  ReadTransaction tx(index_.db());
  for (std::size_t i = 0; i < uids.size(); ++i) {
    std::error_code ec = open_locked(id, uids[i], out[i]);
    if (ec == Errc::no_such_mailbox || (ec && ec != Errc::no_such_message)) return ec;
  }
  return {};
}

std::error_code MaildirAccount::open_locked(MailboxId id, Uid uid, std::unique_ptr<Blob>& out) {
  // One query for the folder and the file name (SEARCH TEXT opens every message).
  MailboxRow row;
  MessageRow m;
  if (auto ec = index_.file_location(id, uid, row.dir, m)) return ec;
  int fd = ::open(file_of(row, m).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT) {  // renamed by another program: find it by its base name
    if (auto ec = index_.mailbox(id, row)) return ec;
    if (auto ec = index_.message(id, uid, m)) return ec;
    if (relocate(row, m)) fd = ::open(file_of(row, m).c_str(), O_RDONLY | O_CLOEXEC);
  }
  if (fd < 0) return errno == ENOENT ? std::error_code(Errc::no_such_message) : last_error();
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    auto ec = last_error();
    ::close(fd);
    return ec;
  }
  out = make_file_blob(fd, static_cast<std::uint64_t>(st.st_size));
  return {};
}

std::error_code MaildirAccount::intern_keywords(MailboxRow& row, Flags& flags,
                                                bool& state_changed) {
  for (auto& k : flags.keywords) {
    auto it = std::find_if(row.keywords.begin(), row.keywords.end(),
                           [&](const std::string& x) { return iequal(x, k); });
    if (it != row.keywords.end()) {
      k = *it;
      continue;
    }
    // An IMAP atom (RFC 9051 §4.1): no space, control, or atom-special; at most
    // kMaxKeywordLength octets. The session refuses such input before; this keeps the index's
    // space-separated keyword lists sound whatever the caller.
    if (k.empty() || k.size() > kMaxKeywordLength)
      return std::make_error_code(std::errc::invalid_argument);
    for (unsigned char c : k)
      if (c <= 0x20 || c == 0x7f ||
          std::string_view("(){%*\"\\]").find(static_cast<char>(c)) != std::string_view::npos)
        return std::make_error_code(std::errc::invalid_argument);
    if (row.keywords.size() >= kMaxKeywords) return Errc::too_many_keywords;
    row.keywords.push_back(k);
    if (row.keywords.size() <= kMaxKeywordLetters) state_changed = true;
  }
  normalize(flags);
  return {};
}

std::error_code MaildirAccount::place_new(MailboxRow& row, const fs::path& tmp,
                                          std::string_view unique, std::uint64_t size,
                                          const CachedFields& cache, Flags flags,
                                          std::int64_t internal_date, std::int32_t internal_tz,
                                          std::string email_id, std::string_view key_hash, Uid& uid,
                                          fs::path& placed) {
  bool state_changed = false;
  if (auto ec = intern_keywords(row, flags, state_changed)) return ec;
  if (state_changed)
    if (auto ec = write_state(row)) return ec;
  uid = row.uid_next;
  MessageRow m;
  m.info.uid = uid;
  m.info.flags = flags;
  m.info.email_id = email_id.empty() ? new_email_id() : std::move(email_id);
  const std::string fresh = unique.empty() ? unique_name() : std::string();
  m.base = make_base_name(unique.empty() ? std::string_view(fresh) : unique, uid, m.info.email_id,
                          size, key_hash);
  m.in_new = flags.system == 0 && flags.keywords.empty();
  m.file_info = m.in_new ? "" : info_from_flags(flags, row.keywords);
  fs::path target = file_of(row, m);
  if (::rename(tmp.c_str(), target.c_str()) != 0) return last_error();
  row.uid_next = uid + 1;
  row.highest_modseq += 1;
  m.info.modseq = row.highest_modseq;
  m.info.internal_date = internal_date;
  m.info.internal_tz = internal_tz;
  m.info.save_date = now_seconds();
  m.info.size = size;
  placed = std::move(target);
  return index_.insert_message(row.id, m, cache);
}

std::error_code MaildirAccount::commit_new(MailboxRow& row, const fs::path& tmp, std::uint64_t size,
                                           const CachedFields& cache, Flags flags,
                                           std::int64_t internal_date, std::int32_t internal_tz,
                                           std::string email_id, std::string_view key_hash,
                                           bool durable, Uid& uid, fs::path& placed) {
  const std::int64_t before = maildir_stamp(dir_of(row));
  std::error_code ec =
      place_new(row, tmp, tmp.filename().string(), size, cache, std::move(flags), internal_date,
                internal_tz, std::move(email_id), key_hash, uid, placed);
  if (!placed.empty()) restamp(row, before);
  if (!ec && durable) ec = fsync_dir(placed.parent_path());
  if (!ec) ec = index_.update_mailbox(row);
  if (ec && !placed.empty()) {
    ::unlink(placed.c_str());
    placed.clear();
  }
  return ec;
}

std::error_code MaildirAccount::append(MailboxId id, const NewMessage& message, AppendResult& out) {
  return append_message(id, message, false, out);
}

std::error_code MaildirAccount::append_message(MailboxId id, const NewMessage& message, bool exempt,
                                               AppendResult& out) {
  fs::path dir;
  {
    std::lock_guard lock(mu_);
    MailboxRow row;
    if (auto ec = index_.mailbox(id, row)) return ec;
    dir = dir_of(row);
  }
  WrittenFile written;
  if (auto ec = write_message_file(dir, message, fsync_, written)) return ec;
  Changes changes;
  std::uint8_t warn = 0;
  {
    std::lock_guard lock(mu_);
    Transaction tx(index_.db());
    std::error_code ec = tx.begin_error();
    MailboxRow row;
    if (!ec) ec = index_.mailbox(id, row);
    Uid uid = 0;
    fs::path placed;
    QuotaUsage before;
    if (!ec && !exempt) ec = quota_check_locked(written.size, 1, 0, before);
    if (!ec)
      ec = commit_new(row, written.tmp_path, written.size, written.cache, message.flags,
                      message.internal_date.value_or(now_seconds()), message.internal_tz, "", "",
                      fsync_, uid, placed);
    if (!ec && !exempt) {
      QuotaUsage after = before;
      after.storage += written.size;
      after.messages += 1;
      warn = quota_warning_locked(before, after);
    }
    if (!ec) ec = tx.commit();
    if (ec) {
      // Nothing committed: the file goes too (wherever it got to).
      ::unlink(written.tmp_path.c_str());
      if (!placed.empty()) ::unlink(placed.c_str());
      return ec;
    }
    out.uid_validity = row.uid_validity;
    out.uid = uid;
    changes.push_back({row.id, row.highest_modseq});
  }
  notify(changes);
  if (warn) send_quota_warning(warn);
  return {};
}

std::error_code MaildirAccount::deliver(std::string_view raw, const NewMessage& message,
                                        std::string_view key, bool defer_sync, AppendResult& out) {
  PendingDelivery p;
  p.mailbox = raw.empty() ? std::string("INBOX") : canonical_mailbox_name(raw);
  if (!valid_mailbox_name(p.mailbox)) return Errc::bad_mailbox_name;
  p.durable = fsync_ && !defer_sync;
  // Kept as a hash (also in the file name: see adopt_orphans).
  if (!key.empty()) p.key_hash = delivery_key_hash(key);
  p.message = &message;
  p.internal_date = message.internal_date.value_or(now_seconds());
  // Written into the account's tmp/ (same file system as every folder), outside every lock:
  // no index lookup before the write. A repeated key is found at the commit, under the write
  // lock (repeats are rare: recovery only), and the file then goes.
  if (auto ec = write_message_file(root_, message, p.durable, p.written)) return ec;
  // Group commit: the first waiter commits every queued delivery in one transaction.
  Changes changes;
  std::uint8_t warn = 0;
  {
    std::unique_lock lock(queue_mu_);
    queue_.push_back(&p);
    while (!p.done) {
      if (committing_) {
        queue_cv_.wait(lock);
        continue;
      }
      committing_ = true;
      std::vector<PendingDelivery*> batch;
      batch.swap(queue_);
      lock.unlock();
      commit_deliveries(batch, changes, warn);
      lock.lock();
      for (PendingDelivery* d : batch) d->done = true;
      committing_ = false;
      queue_cv_.notify_all();
    }
  }
  notify(changes);  // the leader's: every mailbox its batch changed
  if (warn) send_quota_warning(warn);
  if (p.ec) return p.ec;
  out = p.out;
  return {};
}

void MaildirAccount::commit_deliveries(const std::vector<PendingDelivery*>& batch, Changes& changes,
                                       std::uint8_t& warn) {
  std::lock_guard lock(mu_);
  const bool durable =
      std::any_of(batch.begin(), batch.end(), [](const PendingDelivery* d) { return d->durable; });
  const bool deferred = !durable;
  // Deferred: the commit is not synced (synchronous=OFF); the caller syncs the file system.
  if (deferred) index_.db().prepare("PRAGMA synchronous=OFF").run();
  struct Touched {
    MailboxRow row;
    std::int64_t before = 0;  // directory stamp before our first rename
    bool new_dir = false, cur_dir = false;
  };
  std::map<std::string, Touched> touched;
  std::vector<fs::path> placed_files;
  std::error_code batch_ec;
  {
    Transaction tx(index_.db());
    batch_ec = tx.begin_error();
    const std::int64_t now = now_seconds();
    // RFC 9208: the batch's deliveries count one after the other against the limits.
    QuotaUsage before, usage;
    const QuotaLimits limits = batch_ec ? QuotaLimits{} : quota_limits_locked();
    if (!batch_ec && limits.any()) batch_ec = index_.quota_usage(before);
    usage = before;
    for (PendingDelivery* d : batch) {
      if (batch_ec) break;
      MailboxId mb = 0;
      Uid uid = 0;
      std::uint32_t validity = 0;
      MailboxRow existing;
      if (!d->key_hash.empty() && index_.delivery(d->key_hash, mb, uid, validity) &&
          !index_.mailbox(mb, existing) && existing.uid_validity == validity) {
        ::unlink(d->written.tmp_path.c_str());
        d->out.uid_validity = validity;
        d->out.uid = uid;
        d->out.existing = true;
        continue;
      }
      if (quota_exceeded(limits, usage, d->written.size, 1)) {
        d->ec = Errc::over_quota;
        ::unlink(d->written.tmp_path.c_str());
        continue;
      }
      auto it = touched.find(d->mailbox);
      if (it == touched.end()) {
        Touched t;
        std::error_code ec = index_.mailbox(d->mailbox, t.row);
        if (ec == Errc::no_such_mailbox) {
          ec = ensure_parents(d->mailbox);
          if (!ec) ec = create_locked(d->mailbox, default_use(d->mailbox), t.row);
          if (!ec && fsync_) ec = fsync_dir(root_);
        }
        if (ec) {
          d->ec = ec;
          ::unlink(d->written.tmp_path.c_str());
          continue;
        }
        t.before = maildir_stamp(dir_of(t.row));
        it = touched.emplace(d->mailbox, std::move(t)).first;
      }
      MailboxRow row = it->second.row;  // kept only when this message is placed
      fs::path placed;
      std::error_code ec = place_new(row, d->written.tmp_path, d->written.unique, d->written.size,
                                     d->written.cache, d->message->flags, d->internal_date,
                                     d->message->internal_tz, "", d->key_hash, uid, placed);
      if (!ec && !d->key_hash.empty())
        ec = index_.put_delivery(d->key_hash, row.id, uid, row.uid_validity, now);
      if (ec && placed.empty()) {
        // Nothing written to the index for it (keywords refused, the rename failed).
        d->ec = ec;
        ::unlink(d->written.tmp_path.c_str());
        continue;
      }
      placed_files.push_back(placed);
      if (ec) {
        batch_ec = ec;  // an index write failed: the transaction is not to be trusted
        break;
      }
      const bool in_new = placed.parent_path().filename() == "new";
      (in_new ? it->second.new_dir : it->second.cur_dir) = true;
      it->second.row = std::move(row);
      d->out.uid_validity = it->second.row.uid_validity;
      d->out.uid = uid;
      usage.storage += d->written.size;
      usage.messages += 1;
    }
    if (!batch_ec && !placed_files.empty()) warn = quota_warning_locked(before, usage);
    for (auto& [name, t] : touched) {
      if (batch_ec) break;
      restamp(t.row, t.before);
      if (durable) {
        if (t.new_dir && (batch_ec = fsync_dir(dir_of(t.row) / "new"))) break;
        if (t.cur_dir && (batch_ec = fsync_dir(dir_of(t.row) / "cur"))) break;
      }
      batch_ec = index_.update_mailbox(t.row);
    }
    if (!batch_ec && !placed_files.empty()) fault::point("store-deliver-before-commit");
    if (!batch_ec) batch_ec = tx.commit();
  }
  if (deferred) index_.db().prepare("PRAGMA synchronous=FULL").run();
  if (batch_ec) {
    warn = 0;
    // Nothing committed: the placed files go too, and every delivery of the group fails (even
    // one found to repeat a key, which may have been this group's); the spool retries them.
    for (const auto& f : placed_files) ::unlink(f.c_str());
    for (PendingDelivery* d : batch) {
      if (d->ec) continue;
      ::unlink(d->written.tmp_path.c_str());
      d->ec = batch_ec;
      d->out = {};
    }
    return;
  }
  for (const auto& [name, t] : touched)
    if (t.new_dir || t.cur_dir) changes.push_back({t.row.id, t.row.highest_modseq});
}

std::error_code MaildirAccount::update_flags(MailboxId id, const std::vector<Uid>& uids_in,
                                             const FlagUpdate& update, FlagResult& out) {
  out.changed.clear();
  out.modified.clear();
  std::vector<Uid> uids = uids_in;
  std::sort(uids.begin(), uids.end());
  uids.erase(std::unique(uids.begin(), uids.end()), uids.end());
  Changes changes;
  {
    std::lock_guard lock(mu_);
    // Flag changes are not flushed on their own (nor are Dovecot's): the next synced commit
    // (a delivery, APPEND, EXPUNGE) or WAL checkpoint makes them durable. A power failure may
    // lose the last flag changes, never a message; the index stays consistent (WAL).
    RelaxedSync relaxed(index_.db());
    Transaction tx(index_.db());
    if (tx.begin_error()) return tx.begin_error();
    MailboxRow row;
    if (auto ec = index_.mailbox(id, row)) return ec;
    Flags given = update.flags;
    bool state_changed = false;
    if (update.mode != FlagUpdate::Mode::remove)
      if (auto ec = intern_keywords(row, given, state_changed)) return ec;
    normalize(given);
    if (state_changed)
      if (auto ec = write_state(row)) return ec;
    const ModSeq modseq = row.highest_modseq + 1;
    const std::int64_t before = maildir_stamp(dir_of(row));
    for (Uid uid : uids) {
      MessageRow m;
      std::error_code ec = index_.message(id, uid, m);
      if (ec == Errc::no_such_message) continue;
      if (ec) return ec;
      if (update.unchanged_since && m.info.modseq > *update.unchanged_since) {
        out.modified.push_back(uid);
        continue;
      }
      Flags f = m.info.flags;
      switch (update.mode) {
        case FlagUpdate::Mode::replace:
          f = given;
          break;
        case FlagUpdate::Mode::add:
          f.system |= given.system;
          for (const auto& k : given.keywords)
            if (!has_keyword(f, k)) f.keywords.push_back(k);
          break;
        case FlagUpdate::Mode::remove:
          f.system &= static_cast<std::uint8_t>(~given.system);
          std::erase_if(f.keywords, [&](const std::string& k) { return has_keyword(given, k); });
          break;
      }
      normalize(f);
      if (f == m.info.flags) continue;
      // Keep the Maildir name true: rename into cur/ with the new info.
      std::string info = info_from_flags(f, row.keywords);
      if (m.in_new || info != m.file_info) {
        fs::path from = file_of(row, m);
        MessageRow moved = m;
        moved.in_new = false;
        moved.file_info = info;
        fs::path to = file_of(row, moved);
        int r = ::rename(from.c_str(), to.c_str());
        if (r != 0 && errno == ENOENT && relocate(row, m)) {
          from = file_of(row, m);
          r = ::rename(from.c_str(), to.c_str());
        }
        if (r == 0) {
          if (auto e2 = index_.update_file(id, uid, m.base, false, info)) return e2;
        } else {
          log::warn("store", "{}: cannot rename {}: {}", name_, from.string(),
                    last_error().message());
        }
      }
      if ((ec = index_.update_flags(id, uid, f, modseq))) return ec;
      m.info.flags = f;
      m.info.modseq = modseq;
      out.changed.push_back(m.info);
    }
    if (!out.changed.empty()) {
      row.highest_modseq = modseq;
      restamp(row, before);
      // The renames are not flushed either: the index has the flags; a file name that lost
      // its rename in a crash is found again by its base name (relocate).
      if (auto ec = index_.update_mailbox(row)) return ec;
    } else if (state_changed) {
      if (auto ec = index_.update_mailbox(row)) return ec;
    }
    if (auto ec = tx.commit()) return ec;
    if (!out.changed.empty()) changes.push_back({id, modseq});
  }
  notify(changes);
  return {};
}

std::error_code MaildirAccount::expunge(MailboxId id, const std::vector<Uid>& uids,
                                        std::vector<Uid>& out) {
  return expunge_where(id, &uids, false, out);
}

std::error_code MaildirAccount::expunge_deleted(MailboxId id, const std::vector<Uid>* among,
                                                std::vector<Uid>& out) {
  return expunge_where(id, among, true, out);
}

std::error_code MaildirAccount::expunge_where(MailboxId id, const std::vector<Uid>* among,
                                              bool only_deleted, std::vector<Uid>& out) {
  out.clear();
  std::vector<Uid> uids;
  if (among) {
    uids = *among;
    std::sort(uids.begin(), uids.end());
    uids.erase(std::unique(uids.begin(), uids.end()), uids.end());
  }
  Changes changes;
  {
    std::lock_guard lock(mu_);
    // Not flushed on its own, like a flag change: after a power failure an expunged message
    // may come back (with a new UID if its entry was already gone), but none is lost and no
    // UID is reused (the state file below is flushed before the highest UIDs go).
    RelaxedSync relaxed(index_.db());
    Transaction tx(index_.db());
    if (tx.begin_error()) return tx.begin_error();
    if (only_deleted) {  // \Deleted as the index has it inside this transaction
      std::vector<Uid> deleted;
      if (auto ec = index_.deleted(id, deleted)) return ec;
      if (among) {
        std::vector<Uid> both;
        std::set_intersection(uids.begin(), uids.end(), deleted.begin(), deleted.end(),
                              std::back_inserter(both));
        uids = std::move(both);
      } else {
        uids = std::move(deleted);
      }
    }
    MailboxRow row;
    if (auto ec = index_.mailbox(id, row)) return ec;
    std::vector<MessageRow> doomed;
    for (Uid uid : uids) {
      MessageRow m;
      std::error_code ec = index_.message(id, uid, m);
      if (ec == Errc::no_such_message) continue;
      if (ec) return ec;
      doomed.push_back(std::move(m));
    }
    if (doomed.empty()) return {};
    // The state file must remember UIDNEXT before the highest UIDs lose their files.
    if (doomed.back().info.uid >= row.file_uid_next) {
      if (auto ec = write_state(row)) return ec;
      row.file_uid_next = row.uid_next;
    }
    const ModSeq modseq = row.highest_modseq + 1;
    const std::int64_t before = maildir_stamp(dir_of(row));
    for (auto& m : doomed) {
      fs::path p = file_of(row, m);
      int r = ::unlink(p.c_str());
      if (r != 0 && errno == ENOENT && relocate(row, m)) r = ::unlink(file_of(row, m).c_str());
      if (r != 0 && errno != ENOENT) return last_error();
      if (auto ec = index_.expunge(id, m.info.uid, modseq)) return ec;
      out.push_back(m.info.uid);
    }
    row.highest_modseq = modseq;
    restamp(row, before);
    if (auto ec = index_.update_mailbox(row)) return ec;
    if (auto ec = tx.commit()) return ec;
    changes.push_back({id, modseq});
  }
  notify(changes);
  return {};
}

std::error_code MaildirAccount::transfer_locked(MailboxRow& src, const std::vector<Uid>& uids_in,
                                                MailboxRow& dst, bool remove_source,
                                                CopyResult& out) {
  std::vector<Uid> uids = uids_in;
  std::sort(uids.begin(), uids.end());
  uids.erase(std::unique(uids.begin(), uids.end()), uids.end());
  out.uid_validity = dst.uid_validity;
  out.source.clear();
  out.target.clear();
  std::vector<MessageRow> msgs;
  for (Uid uid : uids) {
    MessageRow m;
    std::error_code ec = index_.message(src.id, uid, m);
    if (ec == Errc::no_such_message) continue;
    if (ec) return ec;
    msgs.push_back(std::move(m));
  }
  if (msgs.empty()) return {};
  if (!remove_source) {
    // RFC 9208: a COPY adds to the account's usage (a MOVE within it does not).
    std::uint64_t octets = 0;
    for (const auto& m : msgs) octets += m.info.size;
    QuotaUsage usage;
    if (auto ec = quota_check_locked(octets, msgs.size(), 0, usage)) return ec;
  }
  if (remove_source && msgs.back().info.uid >= src.file_uid_next) {
    if (auto ec = write_state(src)) return ec;
    src.file_uid_next = src.uid_next;
  }
  const ModSeq dst_modseq = dst.highest_modseq + 1;
  const ModSeq src_modseq = src.highest_modseq + 1;
  const std::int64_t dst_before = maildir_stamp(dir_of(dst));
  const std::int64_t src_before = maildir_stamp(dir_of(src));
  const std::int64_t now = now_seconds();
  std::vector<fs::path> placed;
  auto undo = [&] {
    for (const auto& p : placed) ::unlink(p.c_str());
  };
  for (auto& m : msgs) {
    Flags flags = m.info.flags;
    bool state_changed = false;
    if (auto ec = intern_keywords(dst, flags, state_changed)) {
      undo();
      return ec;
    }
    if (state_changed)
      if (auto ec = write_state(dst)) {
        undo();
        return ec;
      }
    MessageRow n;
    n.info = m.info;
    n.info.uid = dst.uid_next;
    n.info.flags = flags;
    n.info.modseq = dst_modseq;
    n.info.save_date = now;
    n.base = make_base_name(unique_name(), n.info.uid, n.info.email_id, m.info.size);
    n.in_new = m.in_new;
    n.file_info = n.in_new ? "" : info_from_flags(flags, dst.keywords);
    fs::path from = file_of(src, m);
    fs::path to = file_of(dst, n);
    auto place = [&] {
      return remove_source ? ::rename(from.c_str(), to.c_str()) : ::link(from.c_str(), to.c_str());
    };
    int r = place();
    if (r != 0 && errno == ENOENT && relocate(src, m)) {
      from = file_of(src, m);
      r = place();
    }
    if (r != 0 && errno == ENOENT) continue;  // vanished: nothing to copy
    if (r != 0 && !remove_source && (errno == EXDEV || errno == EPERM || errno == EMLINK)) {
      std::error_code ec;
      fs::copy_file(from, to, ec);
      if (!ec && fsync_) {
        int fd = ::open(to.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0 || ::fsync(fd) != 0) ec = last_error();
        if (fd >= 0) ::close(fd);
      }
      if (ec) errno = ec.value();
      r = ec ? -1 : 0;
    }
    if (r != 0) {
      auto ec = last_error();
      undo();
      return ec;
    }
    if (!remove_source) placed.push_back(to);
    CachedFields cache;
    if (auto ec = index_.cached(src.id, m.info.uid, cache)) {
      undo();
      return ec;
    }
    if (auto ec = index_.insert_message(dst.id, n, cache)) {
      undo();
      return ec;
    }
    if (remove_source)
      if (auto ec = index_.expunge(src.id, m.info.uid, src_modseq)) return ec;
    dst.uid_next = n.info.uid + 1;
    out.source.push_back(m.info.uid);
    out.target.push_back(n.info.uid);
  }
  if (fsync_) {
    for (const char* sub : {"new", "cur"}) {
      if (auto ec = fsync_dir(dir_of(dst) / sub)) return ec;
      if (remove_source)
        if (auto ec = fsync_dir(dir_of(src) / sub)) return ec;
    }
  }
  if (!out.target.empty()) {
    dst.highest_modseq = dst_modseq;
    restamp(dst, dst_before);
    if (auto ec = index_.update_mailbox(dst)) return ec;
    if (remove_source) {
      src.highest_modseq = src_modseq;
      if (&src != &dst) restamp(src, src_before);
      if (auto ec = index_.update_mailbox(src)) return ec;
    }
  }
  return {};
}

std::error_code MaildirAccount::transfer(MailboxId from, const std::vector<Uid>& uids, MailboxId to,
                                         bool remove_source, CopyResult& out, Changes& changes) {
  std::lock_guard lock(mu_);
  Transaction tx(index_.db());
  if (tx.begin_error()) return tx.begin_error();
  MailboxRow src, dst;
  if (auto ec = index_.mailbox(from, src)) return ec;
  if (auto ec = index_.mailbox(to, dst)) return ec;
  if (from == to && remove_source) {
    // MOVE into the same mailbox: new UIDs, old ones expunged (what Dovecot does).
  }
  if (from == to) {
    // One row serves as both: keep them in step.
    if (auto ec = transfer_locked(src, uids, src, remove_source, out)) return ec;
    dst = src;
  } else {
    if (auto ec = transfer_locked(src, uids, dst, remove_source, out)) return ec;
  }
  if (auto ec = tx.commit()) return ec;
  if (!out.target.empty()) {
    changes.push_back({dst.id, dst.highest_modseq});
    if (remove_source && from != to) changes.push_back({src.id, src.highest_modseq});
  }
  return {};
}

std::error_code MaildirAccount::copy(MailboxId from, const std::vector<Uid>& uids, MailboxId to,
                                     CopyResult& out) {
  Changes changes;
  if (auto ec = transfer(from, uids, to, false, out, changes)) return ec;
  notify(changes);
  return {};
}

std::error_code MaildirAccount::move(MailboxId from, const std::vector<Uid>& uids, MailboxId to,
                                     CopyResult& out) {
  Changes changes;
  if (auto ec = transfer(from, uids, to, true, out, changes)) return ec;
  notify(changes);
  return {};
}

// ---- change feed, rescan, check ----------------------------------------------------------

std::unique_ptr<Subscription> MaildirAccount::watch(MailboxId mailbox,
                                                    std::function<void(const Change&)> fn) {
  std::lock_guard lock(watchers_->mu);
  std::uint64_t id = watchers_->next++;
  watchers_->list.emplace(id, std::make_pair(mailbox, std::move(fn)));
  return std::make_unique<WatchSubscription>(watchers_, id);
}

void MaildirAccount::notify(const Changes& changes) {
  if (changes.empty()) return;
  if (fulltext_) fulltext_->poke();  // new messages get indexed in the background
  std::vector<std::function<void(const Change&)>> calls;
  std::vector<Change> args;
  {
    std::lock_guard lock(watchers_->mu);
    for (const auto& c : changes)
      for (const auto& [id, w] : watchers_->list)
        if (w.first == 0 || w.first == c.mailbox) {
          calls.push_back(w.second);
          args.push_back(c);
        }
  }
  for (std::size_t i = 0; i < calls.size(); ++i) calls[i](args[i]);
}

std::error_code MaildirAccount::rescan_locked(MailboxRow& row, bool force, bool& changed) {
  changed = false;
  const fs::path dir = dir_of(row);
  const std::int64_t stamp = maildir_stamp(dir);
  if (!force && stamp == row.stamp && stamp != 0) return {};
  std::vector<ScannedFile> files;
  if (auto ec = scan_maildir(dir, files)) return ec;
  std::vector<MessageRow> rows;
  if (auto ec = index_.messages(row.id, rows)) return ec;
  std::unordered_map<std::string, MessageRow*> by_base;
  std::unordered_set<Uid> used;
  for (auto& r : rows) {
    by_base[r.base] = &r;
    used.insert(r.info.uid);
  }
  std::sort(files.begin(), files.end(),
            [](const ScannedFile& a, const ScannedFile& b) { return a.name < b.name; });
  const ModSeq modseq = row.highest_modseq + 1;
  std::unordered_set<std::string> seen;
  std::vector<const ScannedFile*> fresh;
  for (const auto& f : files) {
    FileName fn = parse_file_name(f.name);
    auto it = by_base.find(fn.base);
    if (it == by_base.end() || seen.count(fn.base)) {
      fresh.push_back(&f);
      continue;
    }
    seen.insert(fn.base);
    MessageRow& m = *it->second;
    std::string info = f.in_new ? "" : fn.info;
    if (m.in_new == f.in_new && m.file_info == info) continue;
    // Renamed by another program: its flags are what the name says now (keywords without a
    // letter stay).
    if (auto ec = index_.update_file(row.id, m.info.uid, m.base, f.in_new, info)) return ec;
    if (!f.in_new) {
      Flags nf = flags_from_info(info, row.keywords);
      for (std::size_t i = 0; i < row.keywords.size(); ++i)
        if (i >= kMaxKeywordLetters && has_keyword(m.info.flags, row.keywords[i]))
          nf.keywords.push_back(row.keywords[i]);
      normalize(nf);
      if (!(nf == m.info.flags)) {
        if (auto ec = index_.update_flags(row.id, m.info.uid, nf, modseq)) return ec;
        changed = true;
      }
    }
  }
  // Entries whose file is gone.
  for (auto& r : rows) {
    if (seen.count(r.base)) continue;
    if (auto ec = index_.expunge(row.id, r.info.uid, modseq)) return ec;
    changed = true;
  }
  // Files the index does not know: keep a UID at or above UIDNEXT, else give the next one.
  const std::int64_t now = now_seconds();
  for (const ScannedFile* f : fresh) {
    FileName fn = parse_file_name(f->name);
    std::string name = f->name;
    Uid uid = fn.uid;
    if (!fn.key.empty()) {
      // Placed by a delivery whose commit never happened. If that delivery has been made
      // again since (its key is recorded), this copy is the duplicate: it goes.
      MailboxId kb = 0;
      Uid ku = 0;
      std::uint32_t kv = 0;
      if (index_.delivery(fn.key, kb, ku, kv) && !(kb == row.id && ku == fn.uid)) {
        log::info("store", "{}: {} duplicates a recorded delivery: removed", name_, f->name);
        ::unlink((dir / (f->in_new ? "new" : "cur") / f->name).c_str());
        changed = true;
        continue;
      }
    }
    if (uid == 0 || uid < row.uid_next || used.count(uid) || fn.email_id.empty()) {
      uid = row.uid_next;
      if (auto ec = rename_with_uid(dir, f->in_new, f->name, uid, name)) {
        log::warn("store", "{}: cannot rename {}: {}", name_, f->name, ec.message());
        continue;
      }
    }
    used.insert(uid);
    if (auto ec = index_file(row, name, f->in_new, uid, modseq, now)) {
      log::warn("store", "{}: cannot index {}: {}", name_, name, ec.message());
      continue;
    }
    row.uid_next = std::max<Uid>(row.uid_next, uid + 1);
    if (!fn.key.empty())
      if (auto ec = index_.put_delivery(fn.key, row.id, uid, row.uid_validity, now)) return ec;
    changed = true;
  }
  if (changed) row.highest_modseq = modseq;
  row.stamp = maildir_stamp(dir) == stamp ? stamp : 0;
  if (auto ec = index_.update_mailbox(row)) return ec;
  return changed ? index_.mailbox(row.id, row) : std::error_code{};  // the counts moved
}

std::error_code MaildirAccount::rescan_if_changed_locked(MailboxRow& row, Changes& changes) {
  // Unchanged since the last scan or our own last change: nothing to do, unless a file could
  // hide in the same timestamp tick (the directory changed in the last two seconds); then a
  // full scan at most once a second.
  std::int64_t newest = 0;
  const std::int64_t stamp = maildir_stamp(dir_of(row), &newest);
  const auto now = std::chrono::steady_clock::now();
  if (stamp == row.stamp && stamp != 0) {
    if (newest < now_seconds() - 2) return {};
    auto it = last_scan_.find(row.id);
    if (it != last_scan_.end() && now - it->second < std::chrono::seconds(1)) return {};
  }
  if (last_scan_.size() > 4096) last_scan_.clear();
  last_scan_[row.id] = now;
  Transaction tx(index_.db());
  if (tx.begin_error()) return tx.begin_error();
  if (auto ec = index_.mailbox(row.id, row)) return ec;
  bool changed = false;
  if (auto ec = rescan_locked(row, true, changed)) return ec;
  if (changed && fsync_) {
    fsync_dir(dir_of(row) / "new");
    fsync_dir(dir_of(row) / "cur");
  }
  if (auto ec = tx.commit()) return ec;
  if (changed) changes.push_back({row.id, row.highest_modseq});
  return {};
}

std::error_code MaildirAccount::rescan(MailboxId id) {
  Changes changes;
  {
    std::lock_guard lock(mu_);
    MailboxRow row;
    if (auto ec = index_.mailbox(id, row)) return ec;
    if (auto ec = rescan_if_changed_locked(row, changes)) return ec;
  }
  notify(changes);
  return {};
}

std::error_code MaildirAccount::check_locked(IndexReport& out) {
  std::vector<MailboxRow> rows;
  if (auto ec = index_.mailboxes(rows)) return ec;
  std::set<std::string> known_dirs;
  for (const auto& row : rows) {
    ++out.mailboxes;
    known_dirs.insert(row.dir);
    std::vector<ScannedFile> files;
    if (auto ec = scan_maildir(dir_of(row), files)) {
      out.problems.push_back(fmt::format("mailbox {}: {}", row.name, ec.message()));
      continue;
    }
    std::vector<MessageRow> msgs;
    if (auto ec = index_.messages(row.id, msgs)) return ec;
    out.messages += static_cast<std::uint32_t>(msgs.size());
    MailboxInfo counted;
    if (auto ec = index_.counts(row.id, counted)) return ec;
    if (counted.messages != row.messages || counted.unseen != row.unseen ||
        counted.deleted != row.deleted || counted.size != row.size)
      out.problems.push_back(fmt::format(
          "mailbox {}: kept counts (messages {}, unseen {}, deleted {}, size {}) differ from "
          "the messages (messages {}, unseen {}, deleted {}, size {})",
          row.name, row.messages, row.unseen, row.deleted, row.size, counted.messages,
          counted.unseen, counted.deleted, counted.size));
    std::unordered_map<std::string, const ScannedFile*> on_disk;
    for (const auto& f : files) on_disk.emplace(parse_file_name(f.name).base, &f);
    std::unordered_set<std::string> indexed;
    for (const auto& m : msgs) {
      indexed.insert(m.base);
      auto it = on_disk.find(m.base);
      if (it == on_disk.end()) {
        ++out.removed;
        out.problems.push_back(
            fmt::format("mailbox {}: UID {}: no message file ({})", row.name, m.info.uid, m.base));
        continue;
      }
      const ScannedFile& f = *it->second;
      std::string info = f.in_new ? "" : parse_file_name(f.name).info;
      if (f.in_new != m.in_new || info != m.file_info) {
        ++out.repaired;
        out.problems.push_back(
            fmt::format("mailbox {}: UID {}: file flags \"{}\" differ from the "
                        "index (\"{}\")",
                        row.name, m.info.uid, info, m.file_info));
      }
    }
    for (const auto& f : files) {
      if (indexed.count(parse_file_name(f.name).base)) continue;
      ++out.added;
      out.problems.push_back(fmt::format("mailbox {}: file {}/{} is not in the index", row.name,
                                         f.in_new ? "new" : "cur", f.name));
    }
  }
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(root_, ec)) {
    std::string n = e.path().filename().string();
    if (n.size() < 2 || n[0] != '.' || n == ".." || known_dirs.count(n)) continue;
    std::error_code e2;
    if (!e.is_directory(e2) || !fs::is_directory(e.path() / "cur", e2)) continue;
    out.problems.push_back(fmt::format("folder {} is not in the index", n));
  }
  return {};
}

std::error_code MaildirAccount::check_index(IndexReport& out) {
  out = {};
  std::lock_guard lock(mu_);
  Transaction tx(index_.db());
  return check_locked(out);
}

std::error_code MaildirAccount::rebuild_index(IndexReport& out) {
  out = {};
  Changes changes;
  {
    std::lock_guard lock(mu_);
    Transaction tx(index_.db());
    if (tx.begin_error()) return tx.begin_error();
    IndexReport before;
    if (auto ec = check_locked(before)) return ec;
    if (auto ec = rebuild_locked(out)) return ec;
    if (fsync_) fsync_dir(root_);
    if (auto ec = tx.commit()) return ec;
    out.added = before.added;
    out.removed = before.removed;
    out.repaired = before.repaired;
    out.problems.insert(out.problems.begin(), before.problems.begin(), before.problems.end());
    std::vector<MailboxRow> rows;
    index_.mailboxes(rows);
    for (const auto& r : rows) changes.push_back({r.id, r.highest_modseq});
  }
  notify(changes);
  publish_acl(true);
  return {};
}

// ---- full-text index (store_fulltext.hpp) -------------------------------------------------

namespace {

// One full-text query (search or fuzzy) of `mailbox` at its current UIDVALIDITY; an index
// behind the mailbox (messages from before it existed, a delivery moments ago) is poked to
// catch up.
template <class Query>
std::error_code query_fulltext(std::mutex& mu, Index& index, FulltextIndex* fulltext,
                               MailboxId mailbox, FulltextResult& out, Query query) {
  out = {};
  if (!fulltext) return {};
  MailboxRow row;
  {
    std::lock_guard lock(mu);
    if (auto ec = index.mailbox(mailbox, row)) return ec;
  }
  if (auto ec = query(row.uid_validity)) return ec;
  if (out.covered_through + 1 < row.uid_next) fulltext->poke();
  return {};
}

}  // namespace

std::error_code MaildirAccount::fulltext_search(MailboxId mailbox, TextField field,
                                                std::string_view folded, FulltextResult& out) {
  return query_fulltext(mu_, index_, fulltext_.get(), mailbox, out, [&](std::uint32_t validity) {
    return fulltext_->search(mailbox, validity, field, folded, out);
  });
}

std::error_code MaildirAccount::fulltext_fuzzy(MailboxId mailbox, TextField field,
                                               std::string_view folded, FulltextResult& out) {
  return query_fulltext(mu_, index_, fulltext_.get(), mailbox, out, [&](std::uint32_t validity) {
    return fulltext_->fuzzy(mailbox, validity, field, folded, out);
  });
}

std::error_code MaildirAccount::fulltext_catch_up(bool rebuild, FulltextStatus& out) {
  out = {};
  if (!fulltext_) return {};
  return fulltext_->catch_up(rebuild, out);
}

std::error_code MaildirAccount::fulltext_status(FulltextStatus& out) {
  out = {};
  if (!fulltext_) return {};
  return fulltext_->status(out);
}

}  // namespace estafeta::store
