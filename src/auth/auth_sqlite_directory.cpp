// auth_sqlite_directory: see auth_sqlite_directory.hpp for the resolution rules. Notes:
//  - A cached SQLite statement is never held across a recursive call: rows are copied out
//    first, so one connection serves a whole alias expansion.
//  - An alias listing itself among its targets ("alice -> alice, bob") keeps a copy in the
//    user alice (Postfix virtual semantics); any other revisit of an address on the current
//    expansion path is a loop and that branch is dropped with a warning.
//  - Alias targets outside our domains are forward targets when forwarding is on (an alias
//    leading only there is still a known address); when it is off they are dropped with a
//    warning, and if nothing remains the address is unknown_user. A forward target is a
//    leaf: whether it loops back to us is seen by the Received count when it returns.
#include "auth/auth_sqlite_directory.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <system_error>
#include <unordered_set>

#include "auth/auth_address.hpp"
#include "auth/auth_password.hpp"
#include "auth/auth_sqlite.hpp"
#include "base/log.hpp"
#include "queue/proto/queue_srs.hpp"

namespace estafeta::auth {

namespace {

constexpr std::size_t kMaxIdle = 32;  // >= worker threads in practice
constexpr int kMaxDepth = 10;
constexpr std::size_t kMaxTargets = 1000;  // bound on one expansion's fan-out
constexpr std::size_t kMaxVisits = 5000;   // addresses looked up by one expansion

enum class Found { yes, no, error };

struct Expansion {
  Connection& db;
  const DirectoryOptions& options;
  bool allow_catch_all = true;
  bool allow_postmaster_fallback = true;
  bool forward = false;           // keep alias targets outside our domains as forwards
  std::vector<std::string> path;  // addresses and "@domain" being expanded (loop detection)
  std::vector<MailboxTarget> targets;
  std::unordered_set<std::string> seen;  // maildir + NUL + folder of each target
  std::vector<ForwardTarget> forwards;
  std::unordered_set<std::string> forwarded;  // addresses in `forwards`
  bool failed = false;                        // a database error happened somewhere
  std::size_t visits = 0;                     // expand() calls so far (bounded by kMaxVisits)

  bool on_path(const std::string& a) const {
    return std::find(path.begin(), path.end(), a) != path.end();
  }

  std::filesystem::path maildir_of(const std::string& local, const std::string& domain) const {
    return options.data_dir / "mail" / domain / local;
  }

  std::size_t count() const { return targets.size() + forwards.size(); }

  void add_forward(std::string address, std::string via_domain) {
    if (count() >= kMaxTargets || !forwarded.insert(address).second) return;
    forwards.push_back(ForwardTarget{std::move(address), std::move(via_domain)});
  }

  void add_target(const std::string& user, const std::string& local, const std::string& domain,
                  std::string folder, std::string address) {
    if (count() >= kMaxTargets) return;
    MailboxTarget t{user, maildir_of(local, domain), std::move(folder), std::move(address)};
    if (!seen.insert(t.maildir.string() + '\0' + t.folder).second) return;
    targets.push_back(std::move(t));
  }

  Found domain_is_local(const std::string& domain) {
    Statement s = db.prepare("SELECT 1 FROM domains WHERE name = ?1");
    s.bind(1, domain);
    bool row = s.step();
    if (!s.ok()) return Found::error;
    return row ? Found::yes : Found::no;
  }

  Found user_exists(const std::string& address) {
    Statement s = db.prepare("SELECT 1 FROM users WHERE address = ?1");
    s.bind(1, address);
    bool row = s.step();
    if (!s.ok()) return Found::error;
    return row ? Found::yes : Found::no;
  }

  // Copies the alias targets of `source` out of the database.
  Found alias_targets(const std::string& source, std::vector<std::string>& out) {
    Statement s = db.prepare("SELECT target FROM aliases WHERE source = ?1 ORDER BY target");
    s.bind(1, source);
    while (out.size() < kMaxTargets && s.step()) out.push_back(s.text(0));
    if (!s.ok()) return Found::error;
    return out.empty() ? Found::no : Found::yes;
  }

  Found oldest_user(const std::string* domain, std::string& out) {
    Statement s = domain ? db.prepare(
                               "SELECT address FROM users WHERE domain = ?1 "
                               "ORDER BY created, rowid LIMIT 1")
                         : db.prepare("SELECT address FROM users ORDER BY created, rowid LIMIT 1");
    if (domain) s.bind(1, *domain);
    bool row = s.step();
    if (!s.ok()) return Found::error;
    if (!row) return Found::no;
    out = s.text(0);
    return Found::yes;
  }

  void user_target(const std::string& account, std::string folder, std::string address) {
    auto at = account.rfind('@');
    add_target(account, account.substr(0, at), account.substr(at + 1), std::move(folder),
               std::move(address));
  }

  // Expands every target of an alias named `name` (already on the path).
  void expand_targets(const std::string& name, const std::vector<std::string>& list, int depth) {
    for (const auto& t : list) {
      if (t == name) {
        // Self-reference: keep a copy in the user of that name, if there is one.
        Found u = user_exists(t);
        if (u == Found::error) failed = true;
        if (u == Found::yes) user_target(t, "", t);
        continue;
      }
      if (on_path(t)) {
        log::warn("auth", "alias loop at {} (via {}); branch dropped", t, name);
        continue;
      }
      auto a = parse_address(t);
      if (!a) {
        log::warn("auth", "alias {} has an invalid target {}; skipped", name, t);
        continue;
      }
      if (forward) {
        Found here = domain_is_local(a->domain);
        if (here == Found::error) {
          failed = true;
          continue;
        }
        if (here == Found::no) {
          add_forward(a->full(), name.substr(name.rfind('@') + 1));
          continue;
        }
      }
      Found f = expand(*a, depth + 1);
      if (f == Found::error) failed = true;
      if (f == Found::no) log::debug("auth", "alias {} target {} is not deliverable here", name, t);
    }
  }

  // The rules of auth_sqlite_directory.hpp for one address. `yes` when the address exists
  // (even if expanding it yielded no mailbox), `no` when unknown or not local.
  Found expand(const Address& a, int depth) {
    if (++visits > kMaxVisits || count() >= kMaxTargets) {
      if (visits == kMaxVisits + 1)
        log::warn("auth", "alias expansion of {} stopped after {} addresses",
                  path.empty() ? a.full() : path.front(), kMaxVisits);
      return Found::yes;
    }
    if (depth > kMaxDepth) {
      log::warn("auth", "alias expansion deeper than {} at {}; branch dropped", kMaxDepth,
                a.full());
      return Found::yes;
    }
    Found local = domain_is_local(a.domain);
    if (local != Found::yes) return local;
    const std::size_t before = targets.size();
    Found f = lookup(a, depth);
    // postmaster must exist (RFC 5321 §4.5.1): when nothing else delivered it anywhere
    // (unknown, or an alias or catch-all leading nowhere), the oldest account takes it.
    if (f != Found::error && allow_postmaster_fallback && a.local == "postmaster" &&
        targets.size() == before) {
      std::string who;
      Found o = oldest_user(&a.domain, who);
      if (o == Found::no) o = oldest_user(nullptr, who);
      if (o == Found::error) return o;
      if (o == Found::yes) user_target(who, "", who);
      return Found::yes;
    }
    return f;
  }

  // Steps 1-4 of the rules (the domain is known to be local).
  Found lookup(const Address& a, int depth) {
    const std::string full = a.full();

    // 1. An account.
    Found u = user_exists(full);
    if (u != Found::no) {
      if (u == Found::yes) user_target(full, "", full);
      return u;
    }
    // 2. An alias.
    std::vector<std::string> list;
    Found al = alias_targets(full, list);
    if (al == Found::error) return al;
    if (al == Found::yes) {
      path.push_back(full);
      expand_targets(full, list, depth);
      path.pop_back();
      return Found::yes;
    }
    // 3. Detail addressing: base+tag, the base being an account or an alias.
    auto sep = options.detail_separator == '\0' ? std::string::npos
                                                : a.local.find(options.detail_separator);
    if (sep != std::string::npos && sep > 0) {
      std::string base = a.local.substr(0, sep) + "@" + a.domain;
      Found bu = user_exists(base);
      if (bu == Found::error) return bu;
      if (bu == Found::yes) {
        std::string tag = a.original_local.substr(sep + 1);
        std::string folder;
        if (options.detail_to_folder && valid_folder_name(tag)) {
          std::filesystem::path dir = maildir_of(a.local.substr(0, sep), a.domain) / ("." + tag);
          struct stat st {};
          if (::stat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) folder = tag;
        }
        user_target(base, std::move(folder), full);
        return Found::yes;
      }
      std::vector<std::string> base_list;
      Found ba = alias_targets(base, base_list);
      if (ba == Found::error) return ba;
      if (ba == Found::yes && !on_path(base)) {
        path.push_back(base);
        expand_targets(base, base_list, depth);
        path.pop_back();
        return Found::yes;
      }
    }
    // 4. The catch-all of the domain.
    const std::string catch_all = "@" + a.domain;
    if (allow_catch_all && !on_path(catch_all)) {
      std::vector<std::string> ca;
      Found c = alias_targets(catch_all, ca);
      if (c == Found::error) return c;
      if (c == Found::yes) {
        path.push_back(catch_all);
        expand_targets(catch_all, ca, depth);
        path.pop_back();
        return Found::yes;
      }
    }
    return Found::no;
  }
};

}  // namespace

SqliteDirectory::SqliteDirectory(DirectoryOptions options)
    : options_(std::move(options)), login_cache_(options_.login_cache_ttl) {}

SqliteDirectory::~SqliteDirectory() = default;

std::string SqliteDirectory::open() {
  if (std::string e = make_data_dir(options_.data_dir); !e.empty()) return e;
  std::string error;
  Pooled c{Connection::open(options_.data_dir / "accounts.db", true, error), 0};
  if (!c) return error;
  {
    Statement s = c->prepare("SELECT count(*) FROM domains");
    if (s.step() && s.integer(0) == 0)
      log::warn("auth",
                "no local domains yet: all mail will be refused as relay until one is "
                "added (estafeta domain add / estafeta user add)");
  }
  release(std::move(c));
  return "";
}

SqliteDirectory::Pooled SqliteDirectory::acquire() {
  const std::filesystem::path file = options_.data_dir / "accounts.db";
  struct stat st {};
  bool present = ::stat(file.c_str(), &st) == 0 && S_ISREG(st.st_mode);
  std::vector<Pooled> stale;  // closed outside the lock (closing may checkpoint)
  std::uint64_t generation = 0;
  {
    std::lock_guard lock(mutex_);
    if (!present || st.st_dev != file_dev_ || st.st_ino != file_ino_) {
      // First use, or the file was replaced or removed: connections to the old one go.
      ++generation_;
      stale.swap(idle_);
      file_dev_ = present ? st.st_dev : 0;
      file_ino_ = present ? st.st_ino : 0;
    }
    generation = generation_;
    if (!idle_.empty()) {
      Pooled c = std::move(idle_.back());
      idle_.pop_back();
      return c;
    }
  }
  stale.clear();
  std::string error;
  Pooled c{Connection::open(file, true, error), generation};
  if (!c) log::error("auth", "cannot open account database: {}", error);
  return c;
}

void SqliteDirectory::release(Pooled c) {
  if (!c) return;
  std::lock_guard lock(mutex_);
  if (c.generation == generation_ && idle_.size() < kMaxIdle) idle_.push_back(std::move(c));
}

namespace {

enum class SrsOutcome { not_ours, answered, reversed };

// An SRS0/SRS1 address at one of our domains: `reversed` into `back` (the address it stands
// for) when its hash and age check out, else `answered` (r: unknown_user, or a temporary
// failure). not_ours: not an SRS address at one of our domains.
SrsOutcome reverse_srs(Expansion& ex, const queue::SrsKey& key, const std::string& address,
                       Resolution& r, std::string& back_to) {
  // Split by hand: an SRS local part may be longer than parse_address's 64 octets.
  const std::size_t at = address.rfind('@');
  if (at == std::string::npos || address.size() > queue::kMaxSrsLocal + 256)
    return SrsOutcome::not_ours;
  const std::string_view local = std::string_view(address).substr(0, at);
  if (!queue::is_srs(local)) return SrsOutcome::not_ours;
  const std::string domain = ascii_lower(std::string_view(address).substr(at + 1));
  Found here = ex.domain_is_local(domain);
  if (here == Found::error) {
    r.status = Resolution::Status::temporary_failure;
    return SrsOutcome::answered;
  }
  if (here == Found::no) return SrsOutcome::not_ours;
  const std::int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
  queue::SrsReversal back = queue::srs_reverse(key, local, now);
  if (back.status != queue::SrsReversal::Status::ok) {
    log::info("auth", "SRS address {} refused ({})", address,
              back.status == queue::SrsReversal::Status::expired    ? "expired"
              : back.status == queue::SrsReversal::Status::bad_hash ? "bad hash"
                                                                    : "malformed");
    r.status = Resolution::Status::unknown_user;
    return SrsOutcome::answered;
  }
  back_to = std::move(back.address);
  return SrsOutcome::reversed;
}

}  // namespace

Resolution SqliteDirectory::resolve(std::string_view address) {
  Resolution r;
  std::string given(address);
  auto conn = acquire();
  if (!conn) {
    r.status = Resolution::Status::temporary_failure;
    return r;
  }
  Expansion ex{*conn, options_};
  const auto host = normalize_domain(options_.hostname);
  const Found host_local = host ? ex.domain_is_local(*host) : Found::no;
  bool bare_postmaster =
      address.find('@') == std::string_view::npos && ascii_lower(address) == "postmaster";
  if (auto p = parse_address(address);
      p && p->local == "postmaster" && host && p->domain == *host && host_local == Found::no) {
    bare_postmaster = true;  // postmaster@<our host name> when that is not a mail domain
  }
  if (bare_postmaster) {
    // RFC 5321 §4.1.1.3: "<Postmaster>" without a domain (and postmaster@hostname, §4.5.1).
    // Our hostname if it is one of our domains, else the first domain by name.
    std::string domain;
    if (host_local == Found::yes) {
      domain = *host;
    } else {
      Statement s = conn->prepare("SELECT name FROM domains ORDER BY name LIMIT 1");
      if (s.step()) domain = s.text(0);
      if (!s.ok()) r.status = Resolution::Status::temporary_failure;
    }
    if (domain.empty()) {
      release(std::move(conn));
      if (r.status != Resolution::Status::temporary_failure)
        r.status = Resolution::Status::not_local_domain;
      return r;
    }
    given = "postmaster@" + domain;
  }
  // SRS: a bounce to one of our SRS addresses goes where the address points. That may be one
  // of our SRS addresses again (SRS1 of ours naming our own SRS0, after a loop between two
  // forwarders): reversed again, a few times at most; then a local address resolves as any
  // other, and one elsewhere is forwarded as it is.
  bool reversed = false;
  for (int hop = 0; srs_key_ && hop < 4; ++hop) {
    std::string back;
    SrsOutcome o = reverse_srs(ex, *srs_key_, given, r, back);
    if (o == SrsOutcome::not_ours) break;
    if (o == SrsOutcome::answered) {
      release(std::move(conn));
      return r;
    }
    reversed = true;
    given = std::move(back);
  }
  if (reversed) {
    const std::size_t at = given.rfind('@');
    Found here =
        at == std::string::npos ? Found::no : ex.domain_is_local(ascii_lower(given.substr(at + 1)));
    if (here == Found::error) {
      release(std::move(conn));
      r.status = Resolution::Status::temporary_failure;
      return r;
    }
    if (here == Found::no) {
      release(std::move(conn));
      r.status = Resolution::Status::local;
      r.forwards.push_back(ForwardTarget{std::move(given), ""});
      return r;
    }
  }
  ex.forward = srs_key_.has_value();
  auto a = parse_address(given);
  Found f = a ? ex.expand(*a, 0) : Found::no;
  if (f == Found::error || ex.failed) {
    log::error("auth", "account database error resolving a recipient: {}", conn->error());
    r.status = Resolution::Status::temporary_failure;
  } else if (f == Found::no) {
    // Distinguish "our domain, no such user" from "not our domain".
    Found d = a ? ex.domain_is_local(a->domain) : Found::no;
    r.status = d == Found::yes     ? Resolution::Status::unknown_user
               : d == Found::error ? Resolution::Status::temporary_failure
                                   : Resolution::Status::not_local_domain;
  } else if (ex.targets.empty() && ex.forwards.empty()) {
    r.status = Resolution::Status::unknown_user;  // exists but leads nowhere (loops, remote)
  } else {
    r.status = Resolution::Status::local;
    r.targets = std::move(ex.targets);
    r.forwards = std::move(ex.forwards);
  }
  release(std::move(conn));
  return r;
}

std::string SqliteDirectory::forward_sender(std::string_view mail_from,
                                            std::string_view via_domain) {
  const std::size_t at = mail_from.rfind('@');
  if (!srs_key_ || mail_from.empty() || via_domain.empty() || at == std::string_view::npos)
    return std::string(mail_from);
  const std::string domain = ascii_lower(mail_from.substr(at + 1));
  auto conn = acquire();
  if (conn) {
    Expansion ex{*conn, options_};
    Found here = ex.domain_is_local(domain);
    release(std::move(conn));
    if (here == Found::yes) return std::string(mail_from);  // our own: SPF passes as it is
  }
  const std::int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
  auto srs = queue::srs_forward(*srs_key_, mail_from, via_domain, now);
  return srs ? std::move(*srs) : std::string(mail_from);
}

std::optional<std::string> SqliteDirectory::authenticate(std::string_view login,
                                                         std::string_view password) {
  LoginCheck c = check_login(login, password);
  if (c.status != LoginCheck::Status::ok) return std::nullopt;
  return std::move(c.account);
}

LoginCheck SqliteDirectory::check_login(std::string_view login, std::string_view password) {
  // Unknown logins still pay for one hash, so timing does not reveal which accounts exist.
  static const std::string dummy = hash_password("estafeta-no-such-user");
  auto a = parse_address(login);
  std::string hash;
  std::string account;
  if (a && login.size() <= 320) {
    auto conn = acquire();
    if (!conn) return LoginCheck{LoginCheck::Status::unavailable, ""};
    account = a->full();
    Statement s = conn->prepare("SELECT password_hash FROM users WHERE address = ?1");
    s.bind(1, account);
    if (s.step()) hash = s.text(0);
    bool ok = s.ok();
    s = Statement();
    release(std::move(conn));
    if (!ok) {
      log::error("auth", "cannot read the account database to check a login");
      return LoginCheck{LoginCheck::Status::unavailable, ""};
    }
  }
  if (hash.empty()) {
    verify_password(password, dummy);
    return LoginCheck{};
  }
  const auto now = LoginCache::Clock::now();
  if (!login_cache_.contains(hash, password, now)) {
    if (!verify_password(password, hash)) return LoginCheck{};
    login_cache_.remember(hash, password, now);
  }
  return LoginCheck{LoginCheck::Status::ok, std::move(account)};
}

bool SqliteDirectory::may_send_as(std::string_view user, std::string_view address) {
  auto u = parse_address(user);
  auto a = parse_address(address);
  if (!u || !a) return false;  // includes the null sender ""
  const std::string account = u->full();
  if (a->full() == account) return true;
  auto sep = a->local.find(options_.detail_separator);
  if (sep != std::string::npos && sep > 0 && a->local.substr(0, sep) + "@" + a->domain == account)
    return true;
  auto conn = acquire();
  if (!conn) return false;
  Expansion ex{*conn, options_};
  ex.allow_catch_all = false;
  ex.allow_postmaster_fallback = false;
  Found f = ex.expand(*a, 0);
  release(std::move(conn));
  if (f != Found::yes || ex.failed) return false;
  return std::any_of(ex.targets.begin(), ex.targets.end(),
                     [&](const MailboxTarget& t) { return t.user == account; });
}

}  // namespace estafeta::auth
