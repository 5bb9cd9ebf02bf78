// auth_password: see auth_password.hpp.
#include "auth/auth_password.hpp"

#include <crypt.h>

#include <cstdlib>
#include <cstring>

namespace estafeta::auth {

namespace {

// crypt_ra output, freed by the caller's std::string copy; "" on failure ('*' results).
std::string crypt_string(const std::string& phrase, const std::string& setting) {
  void* data = nullptr;
  int size = 0;
  char* out = ::crypt_ra(phrase.c_str(), setting.c_str(), &data, &size);
  std::string result;
  if (out && out[0] != '*') result = out;
  if (data) {
    std::memset(data, 0, static_cast<std::size_t>(size));  // scrub the work area
    std::free(data);
  }
  return result;
}

bool has_prefix(std::string_view s, std::string_view p) {
  return s.substr(0, p.size()) == p;
}

}  // namespace

bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  volatile unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) diff = diff | static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

std::string hash_password(std::string_view password) {
  if (password.size() > kMaxPasswordLength || password.find('\0') != std::string_view::npos)
    return "";
  char* salt = ::crypt_gensalt_ra("$y$", 0, nullptr, 0);
  if (!salt) return "";
  std::string setting = salt;
  std::free(salt);
  return crypt_string(std::string(password), setting);
}

bool verify_password(std::string_view password, std::string_view hash) {
  if (password.size() > kMaxPasswordLength || password.find('\0') != std::string_view::npos ||
      hash.empty() || hash.find('\0') != std::string_view::npos)
    return false;
  std::string computed = crypt_string(std::string(password), std::string(hash));
  if (computed.empty()) return false;
  return constant_time_equal(computed, hash);
}

std::string check_imported_hash(std::string_view hash) {
  static constexpr std::string_view kPrefixes[] = {"$y$", "$gy$", "$2b$", "$2y$", "$2a$", "$6$"};
  bool known = false;
  for (auto p : kPrefixes) known = known || has_prefix(hash, p);
  if (!known) return "unsupported hash format (expected $y$, $gy$, $2b$, $2y$, $2a$ or $6$)";
  for (unsigned char c : hash)
    if (c <= 0x20 || c >= 0x7f) return "hash contains spaces or control characters";
  if (hash.size() >= CRYPT_OUTPUT_SIZE) return "hash too long";
  std::string h(hash);
  int check = ::crypt_checksalt(h.c_str());
  if (check != CRYPT_SALT_OK && check != CRYPT_SALT_METHOD_LEGACY)
    return "libcrypt cannot verify this hash (bad or disabled setting)";
  // Recomputing with any phrase must give a string of the same shape: this proves the salt
  // parses and the stored hash part is present and of the right length.
  std::string probe = crypt_string("estafeta-probe", h);
  if (probe.empty()) return "libcrypt cannot verify this hash (bad setting)";
  if (probe.size() != h.size()) return "hash is truncated or malformed";
  return "";
}

}  // namespace estafeta::auth
