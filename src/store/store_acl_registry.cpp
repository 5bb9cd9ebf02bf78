// store_acl_registry: see store_acl_registry.hpp.
#include "store/store_acl_registry.hpp"

namespace estafeta::store {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& ch : out)
    if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
  return out;
}

std::string domain_of(std::string_view address) {
  std::size_t at = address.rfind('@');
  return at == std::string_view::npos ? std::string() : lower(address.substr(at + 1));
}

}  // namespace

std::error_code AclRegistry::open_locked() {
  if (db_.is_open()) return {};
  if (auto ec = db_.open(file_)) return ec;
  return db_.exec(
      "CREATE TABLE IF NOT EXISTS shares(owner TEXT NOT NULL, mailbox TEXT NOT NULL, "
      "identifier TEXT NOT NULL, domain TEXT NOT NULL, PRIMARY KEY(owner, mailbox, identifier));"
      "CREATE INDEX IF NOT EXISTS shares_identifier ON shares(identifier, domain);");
}

std::error_code AclRegistry::publish(const std::string& owner,
                                     const std::vector<std::pair<std::string, AclEntry>>& rows) {
  std::lock_guard lock(mu_);
  if (auto ec = open_locked()) return ec;
  Transaction tx(db_);
  if (tx.begin_error()) return tx.begin_error();
  if (auto ec = db_.prepare("DELETE FROM shares WHERE owner = ?1").bind(1, owner).run()) return ec;
  const std::string domain = domain_of(owner);
  for (const auto& [mailbox, e] : rows) {
    if (e.rights.empty() || e.identifier.empty() || e.identifier.front() == '-') continue;
    if (auto ec = db_.prepare("INSERT OR REPLACE INTO shares(owner, mailbox, identifier, domain) "
                              "VALUES(?1, ?2, ?3, ?4)")
                      .bind(1, owner)
                      .bind(2, mailbox)
                      .bind(3, lower(e.identifier))
                      .bind(4, domain)
                      .run())
      return ec;
  }
  return tx.commit();
}

std::error_code AclRegistry::sharers(std::string_view user, std::vector<std::string>& owners) {
  owners.clear();
  std::lock_guard lock(mu_);
  if (auto ec = open_locked()) return ec;
  const std::string u = lower(user);
  Stmt s = db_.prepare(
      "SELECT DISTINCT owner FROM shares WHERE owner <> ?1 AND domain = ?2 AND "
      "(identifier = ?1 OR identifier = 'anyone') ORDER BY owner");
  s.bind(1, u).bind(2, domain_of(u));
  while (s.step()) owners.push_back(s.text(0));
  return s.ec();
}

}  // namespace estafeta::store
