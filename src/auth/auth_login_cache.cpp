// auth_login_cache: see the header.
#include "auth/auth_login_cache.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <random>
#include <vector>

namespace estafeta::auth {

LoginCache::LoginCache(std::chrono::seconds ttl, std::size_t max_entries)
    : ttl_(ttl), max_entries_(std::max<std::size_t>(max_entries, 2)) {
  if (RAND_bytes(secret_.data(), static_cast<int>(secret_.size())) != 1) {
    std::random_device rd;  // no OpenSSL randomness: the OS's, as std::random_device gives it
    for (auto& b : secret_) b = static_cast<unsigned char>(rd());
  }
}

std::string LoginCache::key_of(std::string_view stored_hash, std::string_view password) const {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  const unsigned char zero = 0;
  bool ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr) == 1 &&
            EVP_DigestUpdate(ctx, secret_.data(), secret_.size()) == 1 &&
            EVP_DigestUpdate(ctx, stored_hash.data(), stored_hash.size()) == 1 &&
            EVP_DigestUpdate(ctx, &zero, 1) == 1 &&
            EVP_DigestUpdate(ctx, password.data(), password.size()) == 1 &&
            EVP_DigestFinal_ex(ctx, digest, &n) == 1;
  EVP_MD_CTX_free(ctx);
  if (!ok) return std::string();  // never matches: remember() skips it
  return std::string(reinterpret_cast<const char*>(digest), n);
}

bool LoginCache::contains(std::string_view stored_hash, std::string_view password,
                          Clock::time_point now) {
  if (ttl_.count() == 0 || stored_hash.empty()) return false;
  const std::string key = key_of(stored_hash, password);
  if (key.empty()) return false;
  std::lock_guard lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return false;
  if (now - it->second >= ttl_) {
    entries_.erase(it);
    return false;
  }
  return true;
}

void LoginCache::remember(std::string_view stored_hash, std::string_view password,
                          Clock::time_point now) {
  if (ttl_.count() == 0 || stored_hash.empty()) return;
  std::string key = key_of(stored_hash, password);
  if (key.empty()) return;
  std::lock_guard lock(mu_);
  if (entries_.size() >= max_entries_) prune(now);
  entries_[std::move(key)] = now;
}

std::size_t LoginCache::size() {
  std::lock_guard lock(mu_);
  return entries_.size();
}

void LoginCache::prune(Clock::time_point now) {
  std::erase_if(entries_, [&](const auto& e) { return now - e.second >= ttl_; });
  if (entries_.size() < max_entries_) return;
  // Still full of live entries: the older half goes.
  std::vector<Clock::time_point> times;
  times.reserve(entries_.size());
  for (const auto& e : entries_) times.push_back(e.second);
  auto mid = times.begin() + static_cast<std::ptrdiff_t>(times.size() / 2);
  std::nth_element(times.begin(), mid, times.end());
  const Clock::time_point cut = *mid;
  std::erase_if(entries_, [&](const auto& e) { return e.second <= cut; });
}

}  // namespace estafeta::auth
