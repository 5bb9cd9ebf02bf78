// store_maildir: the Store of the embedded backend (store_maildir.hpp): maps account names to
// Maildir roots, opens each account once and shares it (a bounded number stay open when no
// one holds them), and removes accounts.
#include "store/store_maildir.hpp"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <set>

#include <fmt/format.h>

#include "base/log.hpp"
#include "store/store_acl_registry.hpp"
#include "store/store_maildir_account.hpp"
#include "store/store_maildir_files.hpp"

namespace estafeta::store {
namespace fs = std::filesystem;
namespace {

bool safe_part(std::string_view s) {
  if (s.empty() || s.size() > 255 || s.front() == '.') return false;
  for (unsigned char c : s)
    if (c < 0x21 || c == 0x7f || c == '/' || c == '\\') return false;
  return true;
}

class MaildirStore final : public Store {
 public:
  explicit MaildirStore(MaildirStoreOptions o)
      : options_(std::move(o)),
        registry_(
            std::make_shared<AclRegistry>(options_.data_dir / "mail" / "shared-mailboxes.sqlite")) {
  }

  std::error_code sharers(std::string_view user, std::vector<std::string>& owners) override {
    return registry_->sharers(user, owners);
  }

  std::error_code account(std::string_view name, std::shared_ptr<Account>& out) override {
    fs::path root = maildir_account_root(options_.data_dir, name);
    if (root.empty()) return Errc::no_such_account;
    std::string key(name);
    {
      std::unique_lock lock(mu_);
      // Opening one account (its first use makes six Maildirs, durably) never holds up the
      // others: only callers of the same account wait for it.
      opened_.wait(lock, [&] { return !opening_.count(key); });
      if (auto it = open_.find(key); it != open_.end()) {
        if (auto live = it->second.lock()) {
          touch(live);
          out = live;
          return {};
        }
      }
      opening_.insert(key);
    }
    auto acc = std::make_shared<MaildirAccount>(key, root, options_.fsync, options_.default_quota,
                                                options_.fulltext);
    acc->set_acl_publisher([registry = registry_](const std::string& owner, const auto& rows) {
      if (auto ec = registry->publish(owner, rows))
        log::error("store", "cannot record the shared mailboxes of {}: {}", owner, ec.message());
    });
    std::error_code ec = acc->open();
    std::lock_guard lock(mu_);
    opening_.erase(key);
    opened_.notify_all();
    if (ec) {
      log::error("store", "cannot open the mailbox store of {}: {}", key, ec.message());
      return ec;
    }
    open_[key] = acc;
    touch(acc);
    out = acc;
    return {};
  }

  std::error_code remove_account(std::string_view name) override {
    fs::path root = maildir_account_root(options_.data_dir, name);
    if (root.empty()) return Errc::no_such_account;
    std::unique_lock lock(mu_);
    opened_.wait(lock, [&] { return !opening_.count(std::string(name)); });
    open_.erase(std::string(name));
    std::erase_if(recent_, [&](const auto& a) { return a->name() == name; });
    registry_->publish(std::string(name), {});  // shares nothing any more
    std::error_code ec;
    if (!fs::exists(root, ec)) return Errc::no_such_account;
    // One rename takes it out of sight, then the tree goes.
    fs::path doomed = root.parent_path() / fmt::format(".deleted-{}", unique_name());
    fs::rename(root, doomed, ec);
    if (ec) return ec;
    if (options_.fsync) fsync_dir(root.parent_path());
    fs::remove_all(doomed, ec);
    return ec;
  }

 private:
  // Keeps the most recently used accounts open (bounded).
  void touch(const std::shared_ptr<Account>& a) {
    std::erase(recent_, a);
    recent_.push_front(a);
    while (recent_.size() > options_.max_open_accounts) recent_.pop_back();
    std::erase_if(open_, [](const auto& kv) { return kv.second.expired(); });
  }

  MaildirStoreOptions options_;
  std::shared_ptr<AclRegistry> registry_;
  std::mutex mu_;
  std::condition_variable opened_;
  std::set<std::string> opening_;  // accounts being opened by some caller
  std::map<std::string, std::weak_ptr<Account>> open_;
  std::deque<std::shared_ptr<Account>> recent_;
};

}  // namespace

fs::path maildir_account_root(const fs::path& data_dir, std::string_view name) {
  std::size_t at = name.rfind('@');
  if (at == std::string_view::npos) return {};
  std::string_view local = name.substr(0, at);
  std::string_view domain = name.substr(at + 1);
  if (!safe_part(local) || !safe_part(domain)) return {};
  return data_dir / "mail" / std::string(domain) / std::string(local);
}

std::shared_ptr<Store> make_maildir_store(MaildirStoreOptions options) {
  return std::make_shared<MaildirStore>(std::move(options));
}

}  // namespace estafeta::store
