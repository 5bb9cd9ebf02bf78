// smtp_recipient_cache: see the header. Addresses are kept as the client gave them (the core
// has validated them); a differently cased spelling is simply another entry.
#include "smtp/smtp_recipient_cache.hpp"

#include <sys/stat.h>

#include <cctype>

namespace estafeta::smtp {
namespace {

bool look(const std::filesystem::path& p, std::uint64_t& ino, std::uint64_t& size,
          std::uint64_t& mtime) {
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0) return false;
  ino = static_cast<std::uint64_t>(st.st_ino);
  size = static_cast<std::uint64_t>(st.st_size);
  mtime = static_cast<std::uint64_t>(st.st_mtim.tv_sec) * 1000000000ULL +
          static_cast<std::uint64_t>(st.st_mtim.tv_nsec);
  return true;
}

}  // namespace

RecipientCache::Stamp RecipientCache::stamp_of(const std::filesystem::path& accounts_db) {
  Stamp s;
  if (accounts_db.empty()) return s;
  std::filesystem::path wal = accounts_db;
  wal += "-wal";
  s.valid = look(accounts_db, s.db_ino, s.db_size, s.db_mtime);
  // No log (never opened in WAL mode, or removed at the last close) is a state like any other.
  if (s.valid && !look(wal, s.wal_ino, s.wal_size, s.wal_mtime)) s.wal_ino = s.wal_size = 0;
  return s;
}

std::optional<RecipientVerdict> RecipientCache::find(std::string_view address, const Stamp& stamp,
                                                     Clock::time_point now) {
  if (!stamp.valid) return std::nullopt;
  std::lock_guard lock(mutex_);
  for (const std::string& key : {std::string(address), domain_key(address)}) {
    if (key.empty()) continue;
    auto it = entries_.find(key);
    if (it == entries_.end()) continue;
    if (it->second.expires <= now || !(it->second.stamp == stamp)) {
      entries_.erase(it);
      continue;
    }
    return it->second.verdict;
  }
  return std::nullopt;
}

void RecipientCache::remember(std::string_view address, RecipientVerdict verdict,
                              const Stamp& stamp, Clock::time_point now) {
  if (!stamp.valid) return;
  std::string key;
  if (verdict == RecipientVerdict::local)
    key = address;
  else if (verdict == RecipientVerdict::not_local_domain)
    key = domain_key(address);
  if (key.empty()) return;
  std::lock_guard lock(mutex_);
  if (entries_.size() >= kMaxEntries) entries_.clear();
  entries_[std::move(key)] = Entry{verdict, stamp, now + ttl_};
}

std::string RecipientCache::domain_key(std::string_view address) {
  const std::size_t at = address.rfind('@');
  if (at == std::string_view::npos || at == 0 || at + 1 == address.size()) return {};
  std::string local(address.substr(0, at));
  for (char& c : local) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (local == "postmaster") return {};  // postmaster@<our host name> is ours (RFC 5321 §4.5.1)
  std::string key = "@";                 // never an address: the core refuses an empty local part
  for (char c : address.substr(at + 1))
    key += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return key;
}

namespace {

std::string sender_key(std::string_view user, std::string_view address) {
  std::string k;
  k.reserve(user.size() + 1 + address.size());
  k.append(user).append(1, '\n').append(address);  // neither holds a line break
  return k;
}

}  // namespace

bool RecipientCache::sender_allowed(std::string_view user, std::string_view address,
                                    const Stamp& stamp, Clock::time_point now) {
  if (!stamp.valid) return false;
  std::lock_guard lock(mutex_);
  auto it = senders_.find(sender_key(user, address));
  if (it == senders_.end()) return false;
  if (it->second.expires <= now || !(it->second.stamp == stamp)) {
    senders_.erase(it);
    return false;
  }
  return true;
}

void RecipientCache::remember_sender(std::string_view user, std::string_view address, bool allowed,
                                     const Stamp& stamp, Clock::time_point now) {
  if (!allowed || !stamp.valid) return;
  std::lock_guard lock(mutex_);
  if (senders_.size() >= kMaxEntries) senders_.clear();
  senders_[sender_key(user, address)] = SenderEntry{stamp, now + ttl_};
}

}  // namespace estafeta::smtp
