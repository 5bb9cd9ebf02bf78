// auth_account_store: see auth_account_store.hpp.
#include "auth/auth_account_store.hpp"

#include <ctime>
#include <system_error>

#include "auth/auth_address.hpp"
#include "auth/auth_password.hpp"
#include "auth/auth_sqlite.hpp"

namespace estafeta::auth {

namespace {

int64_t now() {
  return static_cast<int64_t>(std::time(nullptr));
}

// An alias source: "local@domain" or "@domain". Returns the normalised form and its domain.
bool parse_alias_source(std::string_view s, std::string& source, std::string& domain) {
  if (!s.empty() && s.front() == '@') {
    auto d = normalize_domain(s.substr(1));
    if (!d) return false;
    domain = *d;
    source = "@" + domain;
    return true;
  }
  auto a = parse_account(s);
  if (!a) return false;
  domain = a->domain;
  source = a->full();
  return true;
}

}  // namespace

AccountStore::AccountStore(std::filesystem::path data_dir) : data_dir_(std::move(data_dir)) {}

AccountStore::~AccountStore() = default;

std::string AccountStore::open() {
  if (std::string e = make_data_dir(data_dir_); !e.empty()) return e;
  std::string error;
  db_ = Connection::open(data_dir_ / "accounts.db", true, error);
  return db_ ? "" : error;
}

std::string AccountStore::db_error(std::string_view what) const {
  return std::string(what) + ": " + (db_ ? db_->error() : "database not open");
}

std::string AccountStore::add_domain(std::string_view domain) {
  if (!db_) return "database not open";
  auto d = normalize_domain(domain);
  if (!d) return "invalid domain name: " + std::string(domain);
  Statement s = db_->prepare("INSERT OR IGNORE INTO domains(name, created) VALUES (?1, ?2)");
  s.bind(1, *d).bind(2, now());
  s.step();
  if (!s.ok()) return db_error("cannot add domain " + *d);
  if (db_->changes() == 0) return "domain " + *d + " already exists";
  return "";
}

std::string AccountStore::del_domain(std::string_view domain) {
  if (!db_) return "database not open";
  auto d = normalize_domain(domain);
  if (!d) return "invalid domain name: " + std::string(domain);
  Statement users = db_->prepare("SELECT count(*) FROM users WHERE domain = ?1");
  users.bind(1, *d);
  if (!users.step()) return db_error("cannot read users");
  int64_t n_users = users.integer(0);
  users = Statement();
  Statement aliases = db_->prepare(
      "SELECT count(*) FROM aliases WHERE source = '@' || ?1 OR source LIKE '%@' || ?1");
  aliases.bind(1, *d);
  if (!aliases.step()) return db_error("cannot read aliases");
  int64_t n_aliases = aliases.integer(0);
  aliases = Statement();
  if (n_users > 0 || n_aliases > 0)
    return "domain " + *d + " still has " + std::to_string(n_users) + " user(s) and " +
           std::to_string(n_aliases) + " alias(es); delete them first";
  Statement s = db_->prepare("DELETE FROM domains WHERE name = ?1");
  s.bind(1, *d);
  s.step();
  if (!s.ok()) return db_error("cannot delete domain " + *d);
  if (db_->changes() == 0) return "no such domain: " + *d;
  return "";
}

std::string AccountStore::list_domains(std::vector<std::string>& out) {
  if (!db_) return "database not open";
  out.clear();
  Statement s = db_->prepare("SELECT name FROM domains ORDER BY name");
  while (s.step()) out.push_back(s.text(0));
  return s.ok() ? "" : db_error("cannot list domains");
}

std::string AccountStore::add_user(std::string_view address, std::string_view password_hash,
                                   bool& domain_added) {
  if (!db_) return "database not open";
  domain_added = false;
  auto a = parse_account(address);
  if (!a) return "invalid account address: " + std::string(address);
  if (auto why = check_imported_hash(password_hash); !why.empty()) return why;
  const std::string full = a->full();
  if (!db_->begin()) return db_error("cannot start a transaction");
  Statement alias = db_->prepare("SELECT 1 FROM aliases WHERE source = ?1");
  alias.bind(1, full);
  bool is_alias = alias.step();
  bool alias_ok = alias.ok();
  alias = Statement();
  if (!alias_ok || is_alias) {
    db_->rollback();
    return is_alias ? full + " is an alias; delete the alias first"
                    : db_error("cannot read aliases");
  }
  Statement d = db_->prepare("INSERT OR IGNORE INTO domains(name, created) VALUES (?1, ?2)");
  d.bind(1, a->domain).bind(2, now());
  d.step();
  bool d_ok = d.ok();
  d = Statement();
  if (!d_ok) {
    std::string e = db_error("cannot add domain " + a->domain);
    db_->rollback();
    return e;
  }
  domain_added = db_->changes() > 0;
  Statement u = db_->prepare(
      "INSERT OR IGNORE INTO users(address, domain, password_hash, created) "
      "VALUES (?1, ?2, ?3, ?4)");
  u.bind(1, full).bind(2, a->domain).bind(3, password_hash).bind(4, now());
  u.step();
  bool u_ok = u.ok();
  u = Statement();
  if (!u_ok || db_->changes() == 0) {
    std::string e = u_ok ? "user " + full + " already exists" : db_error("cannot add " + full);
    db_->rollback();
    domain_added = false;
    return e;
  }
  if (!db_->commit()) {
    std::string e = db_error("cannot commit");
    db_->rollback();
    domain_added = false;
    return e;
  }
  return "";
}

bool AccountStore::has_user(std::string_view address) {
  if (!db_) return false;
  auto a = parse_address(address);
  if (!a) return false;
  Statement s = db_->prepare("SELECT 1 FROM users WHERE address = ?1");
  s.bind(1, a->full());
  return s.step();
}

std::string AccountStore::set_password(std::string_view address, std::string_view password_hash) {
  if (!db_) return "database not open";
  auto a = parse_address(address);
  if (!a) return "invalid account address: " + std::string(address);
  if (auto why = check_imported_hash(password_hash); !why.empty()) return why;
  Statement s = db_->prepare("UPDATE users SET password_hash = ?2 WHERE address = ?1");
  s.bind(1, a->full()).bind(2, password_hash);
  s.step();
  if (!s.ok()) return db_error("cannot set password");
  if (db_->changes() == 0) return "no such user: " + a->full();
  return "";
}

std::string AccountStore::del_user(std::string_view address) {
  if (!db_) return "database not open";
  auto a = parse_address(address);
  if (!a) return "invalid account address: " + std::string(address);
  Statement s = db_->prepare("DELETE FROM users WHERE address = ?1");
  s.bind(1, a->full());
  s.step();
  if (!s.ok()) return db_error("cannot delete user");
  if (db_->changes() == 0) return "no such user: " + a->full();
  return "";
}

std::string AccountStore::list_users(std::vector<UserInfo>& out) {
  if (!db_) return "database not open";
  out.clear();
  Statement s = db_->prepare("SELECT address, created FROM users ORDER BY domain, address");
  while (s.step()) out.push_back({s.text(0), s.integer(1)});
  return s.ok() ? "" : db_error("cannot list users");
}

std::string AccountStore::add_alias(std::string_view source,
                                    const std::vector<std::string>& targets) {
  if (!db_) return "database not open";
  std::string src, domain;
  if (!parse_alias_source(source, src, domain))
    return "invalid alias source: " + std::string(source);
  if (targets.empty()) return "an alias needs at least one target";
  std::vector<std::string> normal;
  for (const auto& t : targets) {
    auto a = parse_address(t);
    if (!a || (!t.empty() && t.front() == '@')) return "invalid alias target: " + t;
    auto d = normalize_domain(a->domain);
    if (!d) return "invalid alias target: " + t;
    normal.push_back(a->local + "@" + *d);
  }
  if (!db_->begin()) return db_error("cannot start a transaction");
  auto fail = [&](std::string e) {
    db_->rollback();
    return e;
  };
  Statement dq = db_->prepare("SELECT 1 FROM domains WHERE name = ?1");
  dq.bind(1, domain);
  bool have_domain = dq.step();
  bool dq_ok = dq.ok();
  dq = Statement();
  if (!dq_ok) return fail(db_error("cannot read domains"));
  if (!have_domain) return fail("domain " + domain + " is not a local domain; add it first");
  Statement uq = db_->prepare("SELECT 1 FROM users WHERE address = ?1");
  uq.bind(1, src);
  bool is_user = uq.step();
  bool uq_ok = uq.ok();
  uq = Statement();
  if (!uq_ok) return fail(db_error("cannot read users"));
  if (is_user) return fail(src + " is a user; an alias of that name would never be used");
  for (const auto& t : normal) {
    Statement ins = db_->prepare("INSERT OR IGNORE INTO aliases(source, target) VALUES (?1, ?2)");
    ins.bind(1, src).bind(2, t);
    ins.step();
    if (!ins.ok()) return fail(db_error("cannot add alias"));
  }
  if (!db_->commit()) return fail(db_error("cannot commit"));
  return "";
}

std::string AccountStore::del_alias(std::string_view source, std::string_view target) {
  if (!db_) return "database not open";
  std::string src, domain;
  if (!parse_alias_source(source, src, domain))
    return "invalid alias source: " + std::string(source);
  if (target.empty()) {
    Statement s = db_->prepare("DELETE FROM aliases WHERE source = ?1");
    s.bind(1, src);
    s.step();
    if (!s.ok()) return db_error("cannot delete alias");
  } else {
    auto a = parse_address(target);
    if (!a) return "invalid alias target: " + std::string(target);
    Statement s = db_->prepare("DELETE FROM aliases WHERE source = ?1 AND target = ?2");
    s.bind(1, src).bind(2, a->full());
    s.step();
    if (!s.ok()) return db_error("cannot delete alias");
  }
  if (db_->changes() == 0)
    return target.empty() ? "no such alias: " + src
                          : "no such alias: " + src + " -> " + std::string(target);
  return "";
}

std::string AccountStore::list_aliases(std::vector<AliasInfo>& out) {
  if (!db_) return "database not open";
  out.clear();
  Statement s = db_->prepare("SELECT source, target FROM aliases ORDER BY source, target");
  while (s.step()) out.push_back({s.text(0), s.text(1)});
  return s.ok() ? "" : db_error("cannot list aliases");
}

std::filesystem::path AccountStore::maildir_of(std::string_view address) const {
  auto a = parse_address(address);
  if (!a) return {};
  return data_dir_ / "mail" / a->domain / a->local;
}

}  // namespace estafeta::auth
