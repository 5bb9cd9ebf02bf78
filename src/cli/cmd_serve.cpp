// cmd_serve: `estafeta serve`. Prepares the data directory and TLS material, opens the
// account directory and the MDA, binds every listener (all or nothing, each failure
// explained), drops root privileges for run_as_user, then serves SMTP, IMAP and POP3 until
// SIGTERM/SIGINT. Shutdown: stop accepting, 421 to idle sessions (IMAP: BYE; POP3: -ERR, with
// no UPDATE, so nothing is deleted), let each DATA in progress finish and get its 250 (bounded
// by kDrainTimeout; a second signal cuts it short), exit 0. A message is
// acknowledged only after it is durable in the spool (queue/); local delivery runs from there
// (queue::LocalRunner), mail for other domains from the outbound queue (queue::RemoteRunner
// over smtp::OutboundTransport), local submissions from the maildrop (queue::Pickup), and what
// they have not finished at exit, or after a crash, is finished at the next start, so
// stopping never loses one that got 250.
// SIGHUP reloads the TLS certificate and key for new sessions.
// Privileges: when started as root, run_as_user must exist (no fallback), data_dir and its
// top-level entries are handed to it (never tls/, whose keys stay root's), and a small
// helper process keeps root to read the certificate and key again on SIGHUP
// (net/tls_key_helper.hpp): a renewed certbot key is 0600 root.
// Input: the configuration (trusted). Runs as root only until the listeners are bound.
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <asio.hpp>
#include <asio/ssl.hpp>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "auth/auth_account_store.hpp"
#include "auth/auth_sqlite_directory.hpp"
#include "auth/proto/auth_login_throttle.hpp"
#include "base/log.hpp"
#include "cli/commands.hpp"
#include "config/config_keys.hpp"
#include "delivery/delivery_encryption.hpp"
#include "delivery/local_delivery.hpp"
#include "imap/imap_config.hpp"
#include "imap/imap_server.hpp"
#include "net/io_pool.hpp"
#include "net/listener.hpp"
#include "net/tls_context.hpp"
#include "net/tls_key_helper.hpp"
#include "net/tls_local_ca.hpp"
#include "pop3/pop3_config.hpp"
#include "pop3/pop3_server.hpp"
#include "queue/queue_config.hpp"
#include "queue/queue_local_runner.hpp"
#include "queue/queue_pickup.hpp"
#include "queue/queue_remote_runner.hpp"
#include "queue/queue_spool.hpp"
#include "queue/queue_srs_key.hpp"
#include "smtp/smtp_config.hpp"
#include "smtp/smtp_outbound_config.hpp"
#include "smtp/smtp_outbound_transport.hpp"
#include "smtp/smtp_server.hpp"
#include "smtp/smtp_tls_rpt_sender.hpp"
#include "store/store_maildir.hpp"

namespace estafeta::cli {
namespace {

namespace fs = std::filesystem;

constexpr auto kDrainTimeout = std::chrono::seconds(30);
constexpr std::size_t kMinWorkers = 32;  // = the directory's idle SQLite connections
// How much lower the sending MTA's thread runs (nice units): while both want the CPU it gets
// about a tenth of a session thread's share, never nothing.
constexpr int kOutboundNice = 10;

// The SMTP server's mode for an smtp listener (role + TLS mode; the loader refuses an mx
// with implicit TLS).
smtp::ListenerMode mode_of(const config::Listener& l) {
  if (l.role == config::SmtpRole::mx) return smtp::ListenerMode::mx;
  return l.tls_mode == config::TlsMode::implicit ? smtp::ListenerMode::submissions
                                                 : smtp::ListenerMode::submission;
}

std::size_t cores() {
  return std::max(1u, std::thread::hardware_concurrency());
}

bool make_data_dir(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    log::error("serve", "cannot create data_dir {}: {}", dir.string(), ec.message());
    return false;
  }
  // Mail and keys live here: nobody else may look in (mode 0711: others may only pass
  // through, to the maildrop directory of `sendmail`; everything else in it is the service
  // user's alone, umask 077). A directory someone else owns is used as it is (the owner chose
  // its mode), with a warning when others can read it.
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) {
    log::error("serve", "cannot use data_dir {}: {}", dir.string(), std::strerror(errno));
    return false;
  }
  if (st.st_uid == ::geteuid()) {
    if ((st.st_mode & 0777) != 0711 && ::chmod(dir.c_str(), 0711) != 0) {
      log::error("serve", "cannot set mode 0711 on data_dir {}: {}", dir.string(),
                 std::strerror(errno));
      return false;
    }
  } else if ((st.st_mode & 066) != 0) {
    log::warn("serve", "data_dir {} belongs to another user and is open to others (mode {:o})",
              dir.string(), st.st_mode & 0777);
  }
  return true;
}

// Files an older version handed to run_as_user: the local CA's keys go back to root.
void own_local_tls_as_root(const fs::path& tls_dir) {
  if (::geteuid() != 0) return;
  for (const char* name : {"", "ca.key", "server.key"}) {
    fs::path p = *name ? tls_dir / name : tls_dir;
    struct stat st {};
    if (::lstat(p.c_str(), &st) == 0 && (st.st_uid != 0 || st.st_gid != 0) &&
        ::lchown(p.c_str(), 0, 0) != 0)
      log::warn("serve", "cannot give {} back to root: {}", p.string(), std::strerror(errno));
  }
}

// What reads the certificate and key: at start in this process, on SIGHUP in the helper
// (as root) or, when no privileges were dropped, in this process again. With no
// tls.certificate it makes sure the local CA's server certificate is current first (names,
// addresses, expiry). Copies what it needs: the helper outlives nothing but owns its copy.
net::TlsKeyHelper::Loader tls_loader(const config::Config& config) {
  std::vector<std::string> addresses;
  for (const config::Listener& l : config.listeners) addresses.push_back(l.address);
  return [data_dir = config.data_dir, hostname = config.hostname,
          certificate = config.tls.certificate, private_key = config.tls.private_key,
          addresses](net::TlsPem& out, std::string& error) {
    net::TlsSettings settings;
    if (certificate.empty()) {
      net::LocalTlsFiles files;
      own_local_tls_as_root(data_dir / "tls");
      if (!net::ensure_local_tls(data_dir / "tls", hostname, net::local_tls_addresses(addresses),
                                 files, error))
        return false;
      const std::string dir = files.ca_certificate.parent_path().string();
      if (files.replaced_ca)
        log::warn("serve",
                  "the local CA in {} was not made for the host name {}: made a new one; "
                  "clients must trust the new {}",
                  dir, hostname, files.ca_certificate.string());
      else if (files.created_ca)
        log::info("serve", "created a local CA in {}", dir);
      if (files.unconstrained_ca)
        log::warn("serve",
                  "the local CA in {} has no name constraints (made by an older version): its "
                  "key could certify any name. It is kept so clients' trust goes on working; "
                  "to replace it, remove ca.pem and ca.key and make clients trust the new ca.pem",
                  dir);
      for (const std::string& a : files.uncovered)
        log::warn("serve",
                  "address {} is outside the local CA's name constraints and left out of the "
                  "server certificate (clients connecting by it fail verification); remove "
                  "ca.pem and ca.key in {} to have a CA made for it",
                  a, dir);
      if (files.issued_certificate)
        log::info("serve", "issued a server certificate for {}", hostname);
      log::info("serve", "local CA certificate for clients to trust: {}",
                files.ca_certificate.string());
      settings.certificate = files.certificate;
      settings.private_key = files.private_key;
    } else {
      settings.certificate = certificate;
      settings.private_key = private_key.empty() ? certificate : private_key;
    }
    return net::read_tls_pem(settings, out, error);
  };
}

// The TLS context from PEM bytes the loader or the helper read; nullptr (logged) on error.
std::shared_ptr<asio::ssl::context> make_tls(const config::Config& config, const net::TlsPem& pem) {
  net::TlsSettings settings;
  settings.min_version = config.tls.min_version;
  settings.certificate = config.tls.certificate.empty() ? config.data_dir / "tls" / "server.pem"
                                                        : config.tls.certificate;
  settings.private_key = config.tls.certificate.empty()   ? config.data_dir / "tls" / "server.key"
                         : config.tls.private_key.empty() ? config.tls.certificate
                                                          : config.tls.private_key;
  std::string error;
  auto ctx = net::make_server_tls_context(settings, pem, error);
  if (!ctx) log::error("serve", "TLS: {}", error);
  return ctx;
}

// True when serve will switch to run_as_user (started as root, run_as_user not root).
bool will_drop_privileges(const config::Config& config) {
  return ::geteuid() == 0 && config.run_as_user != "root";
}

// Refuses a run_as_user that does not exist, before anything is created or bound: falling
// back to another account would hand it the mail.
bool check_run_as_user(const config::Config& config) {
  if (!will_drop_privileges(config) || ::getpwnam(config.run_as_user.c_str())) return true;
  log::error("serve",
             "run_as_user \"{}\" does not exist: create it (useradd --system --home-dir {} "
             "--shell /usr/sbin/nologin {}) or set run_as_user in {}",
             config.run_as_user, config.data_dir.string(), config.run_as_user,
             config.source.empty() ? "a config file (-c FILE)" : config.source.string());
  return false;
}

// Hands data_dir and the top-level entries in it that are not yet run_as_user's to it (the
// first start, or `estafeta user add` run as root, creates them as root). Not a recursive
// walk: deeper files are the server's own, and one owned by someone else is the operator's
// business. tls/ stays root's: the CA key never belongs to the service user.
bool own_data_dir(const fs::path& root, uid_t uid, gid_t gid) {
  bool ok = true;
  auto own = [&](const fs::path& p) {
    struct stat st {};
    if (::lstat(p.c_str(), &st) != 0 || (st.st_uid == uid && st.st_gid == gid)) return;
    if (::lchown(p.c_str(), uid, gid) != 0) {
      log::error("serve", "cannot chown {}: {}", p.string(), std::strerror(errno));
      ok = false;
    }
  };
  own(root);
  std::error_code ec;
  for (fs::directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec))
    if (it->path().filename() != "tls") own(it->path());
  if (ec) {
    log::error("serve", "cannot list {}: {}", root.string(), ec.message());
    ok = false;
  }
  return ok;
}

// Running as root: hand data_dir to run_as_user and become that user for good.
bool drop_privileges(const config::Config& config) {
  if (::geteuid() != 0) return true;
  const std::string& user = config.run_as_user;
  if (user == "root") {
    log::warn("serve", "run_as_user is root: keeping root privileges (not recommended)");
    return true;
  }
  const passwd* pw = ::getpwnam(user.c_str());
  if (!pw) {  // checked at start; removed since
    check_run_as_user(config);
    return false;
  }
  uid_t uid = pw->pw_uid;
  gid_t gid = pw->pw_gid;
  if (!own_data_dir(config.data_dir, uid, gid)) return false;
  if (::setgroups(1, &gid) != 0 || ::setgid(gid) != 0 || ::setuid(uid) != 0) {
    log::error("serve", "cannot switch to user {}: {}", user, std::strerror(errno));
    return false;
  }
  // Verify: no way back to root, and every id is the target's.
  if (::setuid(0) == 0 || ::getuid() != uid || ::geteuid() != uid || ::getgid() != gid ||
      ::getegid() != gid) {
    log::error("serve", "privilege drop to {} did not take; refusing to serve", user);
    return false;
  }
  // The chown above covers data_dir itself, not its parents: a parent that only root may
  // enter (a 0700 temporary directory, /root) would fail every later file operation.
  if (::access(config.data_dir.c_str(), R_OK | W_OK | X_OK) != 0) {
    log::error("serve",
               "data_dir {} is not reachable as user {} ({}): a parent directory does "
               "not let that user in; move data_dir, open up its parents, or set run_as_user",
               config.data_dir.string(), user, std::strerror(errno));
    return false;
  }
  log::info("serve", "running as user {} (uid {}, gid {})", user, uid, gid);
  return true;
}

// Many sessions each hold a socket; the default soft limit (1024) is below what
// smtp.max_connections allows, so lift it to the hard limit.
void raise_file_limit() {
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &lim);
  }
}

// A fresh data dir has no mail domains; like Postfix's mydestination = $myhostname, the
// host name becomes the first one, so `estafeta serve` with no configuration accepts mail
// for users at the host name as soon as they are added. Later starts leave the list alone.
bool ensure_a_domain(const config::Config& config) {
  auth::AccountStore store(config.data_dir);
  std::vector<std::string> domains;
  std::string error = store.open();
  if (error.empty()) error = store.list_domains(domains);
  if (error.empty() && domains.empty() && !config.hostname.empty()) {
    error = store.add_domain(config.hostname);
    if (error.empty())
      log::info("serve", "no mail domains yet: added the host name {} (estafeta domain add/del)",
                config.hostname);
  }
  if (!error.empty()) log::error("serve", "{}", error);
  return error.empty();
}

}  // namespace

int run_serve(const config::Config& config) {
  log::set_level(config.log_level);
  ::umask(077);
  ::signal(SIGPIPE, SIG_IGN);
  raise_file_limit();

  if (config.listeners.empty()) {
    log::error("serve", "no listeners configured; add a [listener.NAME] table to {}",
               config.source.empty() ? "a config file" : config.source.string());
    return 1;
  }
  if (!check_run_as_user(config)) return 1;
  if (!make_data_dir(config.data_dir)) return 1;
  const net::TlsKeyHelper::Loader load_tls = tls_loader(config);
  std::shared_ptr<asio::ssl::context> tls;
  {
    net::TlsPem pem;
    std::string error;
    if (!load_tls(pem, error)) {
      log::error("serve", "TLS: {}", error);
      return 1;
    }
    if (!(tls = make_tls(config, pem))) return 1;
  }
  // Forked now, while this process has one thread, and before privileges are dropped.
  net::TlsKeyHelper tls_helper;
  if (will_drop_privileges(config)) {
    std::string error;
    if (!tls_helper.start(load_tls, error)) {
      log::error("serve", "{}", error);
      return 1;
    }
  }

  if (!ensure_a_domain(config)) return 1;

  auth::SqliteDirectory directory(
      auth::DirectoryOptions{config.data_dir, config.hostname, config.delivery.detail_separator,
                             config.delivery.detail_to_folder, config.auth.login_cache_ttl});
  if (std::string error = directory.open(); !error.empty()) {
    log::error("serve", "{}", error);
    return 1;
  }
  if (!config.delivery.fsync)
    log::warn("serve", "delivery.fsync is off: a crash can lose mail that was acknowledged");

  net::IoPool io(config.io_threads);
  // The sending MTA's connections run on a thread of their own, kOutboundNice below the
  // sessions: people and clients waiting for a reply (SMTP, IMAP, POP3) come first and the
  // outbound queue drains with what is left; on an idle machine nothing changes. Measured
  // (bench/RESULTS.md, session 9): relaying at concurrency 1, receiving commands no longer
  // wait behind the previous message's relay on a shared io thread (+10 % msg/s), and the
  // lower priority adds ~4 %.
  net::IoPool outbound_io(1, kOutboundNice);
  // worker_threads = 0: 2 x cores, but at least kMinWorkers. This pool's work (recipient
  // lookups, deliveries) is mostly waiting on SQLite and fsync, not computing; concurrent
  // fsyncs share the file system's journal commits, so with 50 sessions delivering at once
  // more waiting threads mean more messages per commit (measured on 2 cores, 50 sessions:
  // 4 threads ~1300, 16 ~1900, 64 ~2100 messages/s). Password hashing, which is CPU and
  // memory bound, runs on its own pool of one thread per core.
  std::size_t worker_count =
      config.worker_threads != 0 ? config.worker_threads : std::max(2 * cores(), kMinWorkers);
  asio::thread_pool workers(worker_count);
  asio::thread_pool hashers(cores());

  // Signals are caught from before the first listener opens, so a SIGTERM sent as soon as
  // the port answers is a clean shutdown, not death by the default action. They queue until
  // the io threads run.
  std::mutex mutex;
  std::condition_variable signalled;
  int signals = 0;
  std::atomic<smtp::Server*> serving{nullptr};
  std::atomic<imap::Server*> serving_imap{nullptr};
  std::atomic<pop3::Server*> serving_pop3{nullptr};
  asio::signal_set signal_set(io.context(0), SIGINT, SIGTERM);
  std::function<void(const asio::error_code&, int)> on_signal = [&](const asio::error_code& ec,
                                                                    int number) {
    if (ec) return;
    {
      std::lock_guard lock(mutex);
      ++signals;
    }
    signalled.notify_all();
    log::info("serve", "{} received", number == SIGTERM ? "SIGTERM" : "SIGINT");
    signal_set.async_wait(on_signal);
  };
  signal_set.async_wait(on_signal);
  // SIGHUP: read the certificate and key again (renewed certificates; for the local CA, a
  // server certificate near expiry is reissued). On failure the current one stays.
  asio::signal_set hangup(io.context(0), SIGHUP);
  std::function<void(const asio::error_code&, int)> on_hangup = [&](const asio::error_code& ec,
                                                                    int) {
    if (ec) return;
    asio::post(hashers, [&] {
      smtp::Server* server = serving.load();
      if (!server) return;
      log::info("serve", "SIGHUP received: reloading the TLS certificate");
      net::TlsPem pem;
      std::string error;
      bool read = tls_helper.started() ? tls_helper.fetch(pem, error) : load_tls(pem, error);
      if (!read) log::error("serve", "TLS: {}", error);
      if (auto fresh = read ? make_tls(config, pem) : nullptr) {
        server->reload_tls(fresh);
        if (imap::Server* imap_server = serving_imap.load()) imap_server->reload_tls(fresh);
        if (pop3::Server* pop3_server = serving_pop3.load()) pop3_server->reload_tls(fresh);
        log::info("serve", "TLS certificate reloaded; new sessions use it");
      } else {
        log::error("serve", "TLS reload failed; keeping the previous certificate");
      }
    });
    hangup.async_wait(on_hangup);
  };
  hangup.async_wait(on_hangup);

  // Bind everything before serving anything: a half-started server is worse than none.
  std::vector<asio::ip::tcp::acceptor> acceptors;
  bool bound = true;
  for (const config::Listener& l : config.listeners) {
    std::string error;
    auto acceptor = net::open_listener(io.context(0), l, config.source, error);
    if (!acceptor) {
      log::error("serve", "{}", error);
      bound = false;
      continue;
    }
    acceptors.push_back(std::move(*acceptor));
  }
  if (!bound) return 1;
  if (!drop_privileges(config)) return 1;

  // The spool, opened as the service user (who owns <data_dir>/spool). What an earlier run
  // left there (a crash, a kill -9, deferred deliveries) is delivered before anything new.
  queue::Spool spool(queue::SpoolOptions{config.data_dir / "spool", config.delivery.fsync});
  std::vector<queue::SpoolEntry> recovered;
  if (auto ec = spool.open(recovered)) {
    log::error("serve", "cannot open the spool {}: {}", spool.dir().string(), ec.message());
    return 1;
  }
  if (auto ec = spool.replenish())
    log::warn("serve", "cannot prepare spool files in {}: {}", spool.dir().string(), ec.message());
  // The mailbox store (Maildir files, an index per account), opened as the service user.
  store::MaildirStoreOptions store_options{config.data_dir, 64, config.delivery.fsync};
  store_options.default_quota = {config.quota.storage_kib, config.quota.messages,
                                 config.quota.mailboxes};
  std::shared_ptr<store::Store> mail_store = store::make_maildir_store(store_options);
  // Local delivery goes through the store: UIDs at delivery, IMAP sessions told at once.
  delivery::DeliveryOptions delivery_options{config.delivery.fsync, config.hostname};
  delivery_options.store = mail_store.get();
  delivery::LocalDelivery delivery(delivery_options);
  queue::LocalRunner runner(
      spool, delivery,
      [&workers](std::function<void()> job) { asio::post(workers, std::move(job)); },
      config.delivery.retry_interval, /*group_sync=*/config.delivery.fsync);
  // Encryption at rest for users who published an S/MIME certificate (`estafeta user cert`).
  delivery::AtRestEncryption at_rest(config.data_dir / "smime-certs", config.delivery.encrypt_cbc);
  if (config.delivery.encrypt) runner.set_encryption(&at_rest);
  // The outbound queue: mail for other domains leaves through the SMTP client (smarthost,
  // static routes or MX). Without it (a resolver or TLS context that cannot be made), such
  // mail is refused at RCPT as before, and the server runs on.
  std::string outbound_error;
  std::shared_ptr<smtp::OutboundTransport> transport;
  dns::ResolverConfig report_resolver;  // TLS reports look up _smtp._tls with the same DNS
  if (auto outbound = smtp::outbound_options_from(config, outbound_error)) {
    report_resolver = outbound->resolver;
    outbound->tls_report_dir = config.data_dir / "tls-rpt";     // RFC 8460 data, per day
    outbound->mta_sts_cache_dir = config.data_dir / "mta-sts";  // RFC 8461 policies kept
    transport = smtp::OutboundTransport::create(outbound_io.context(0).get_executor(), workers,
                                                std::move(*outbound), outbound_error);
  }
  if (!transport)
    log::warn("serve", "no outbound queue: {}; mail for other domains is refused", outbound_error);
  // Forwarding (alias targets in other domains, bounces to our SRS addresses) needs the
  // outbound queue and the SRS secret; without them such targets are dropped as before.
  if (transport) {
    queue::SrsKey srs_key{};
    if (auto ec = queue::load_srs_key(config.data_dir / "srs.key", srs_key))
      log::warn("serve",
                "cannot read or make the SRS key {}: {}; alias targets in other "
                "domains are dropped",
                (config.data_dir / "srs.key").string(), ec.message());
    else
      directory.enable_forwarding(srs_key);
  }
  // Local submission (`sendmail`): files in <data_dir>/maildrop become spool entries.
  queue::PickupOptions pickup_options;
  pickup_options.dir = config.data_dir / "maildrop";
  pickup_options.hostname = config.hostname;
  pickup_options.max_message_size = smtp::settings_from(config).limits.max_message_size;
  pickup_options.remote = transport != nullptr;
  pickup_options.max_received = smtp::settings_from(config).limits.max_received_headers;
  queue::Pickup pickup(pickup_options, spool, directory,
                       [&runner](queue::SpoolEntry e) { runner.submit(std::move(e)); });
  runner.set_notices([&pickup](const std::string& from, const std::string& rcpt,
                               std::string message) { return pickup.inject(from, rcpt, message); },
                     config.hostname);
  if (auto ec = pickup.prepare())
    log::warn("serve", "cannot prepare the maildrop directory {}: {}; `sendmail` will not work",
              pickup_options.dir.string(), ec.message());
  std::unique_ptr<queue::RemoteRunner> remote;
  if (transport) {
    remote = std::make_unique<queue::RemoteRunner>(
        spool, *transport,
        [&workers](std::function<void()> job) { asio::post(workers, std::move(job)); },
        [&pickup](const std::string& from, const std::string& rcpt, std::string message) {
          return pickup.inject(from, rcpt, message);
        },
        queue::RemoteOptions{queue::settings_from(config), config.hostname});
    runner.set_remote([r = remote.get()](queue::SpoolEntry e) { r->submit(std::move(e)); });
    remote->start();
  }
  // TLS reports (RFC 8460) from the data the transport records, queued like notices.
  std::unique_ptr<smtp::TlsRptSender> tls_reports;
  if (transport) {
    const smtp::RelaySettings relay = smtp::relay_settings_from(config);
    tls_reports = std::make_unique<smtp::TlsRptSender>(
        smtp::TlsRptSenderOptions{config.data_dir / "tls-rpt", config.hostname,
                                  relay.tls_rpt_organization, relay.tls_rpt_contact,
                                  relay.tls_rpt_interval, report_resolver},
        [&pickup](const std::string& from, const std::string& rcpt, const std::string& message) {
          return pickup.inject(from, rcpt, message);
        });
    tls_reports->start();
  }
  runner.start(std::move(recovered));
  pickup.start();

  smtp::ServerOptions options;
  options.hostname = config.hostname;
  const smtp::Settings smtp_settings = smtp::settings_from(config);
  options.limits = smtp_settings.limits;
  options.trace = config.trace;
  options.allow_plain_auth_on_loopback = smtp_settings.allow_plain_auth_on_loopback;
  options.auth_on_mx = smtp_settings.auth_on_mx;
  options.relay_for_authenticated = transport != nullptr;
  options.relay_networks = smtp_settings.relay_networks;
  if (!transport && !options.relay_networks.empty())
    log::warn("smtp",
              "smtp.relay_networks is set but there is no outbound queue: its clients "
              "may not relay");
  options.accounts_db = config.data_dir / "accounts.db";
  // RFC 9208 quota at RCPT: full = not even a one-octet message fits (STORAGE or MESSAGE).
  options.mailbox_full = [store = mail_store](const std::string& account) {
    std::shared_ptr<store::Account> a;
    store::QuotaState q;
    if (store->account(account, a) || a->quota(q)) return false;  // decided at delivery
    return store::quota_exceeded(q.limits, q.usage, 1, 1);
  };
  auth::ThrottleLimits throttle;
  throttle.max_failures = config.auth.max_login_failures;
  throttle.window = config.auth.login_failure_window;
  options.login_throttle = std::make_shared<auth::SharedLoginThrottle>(throttle);
  smtp::Server server(io, workers, hashers, tls, options, directory, spool, runner);
  serving = &server;

  imap::ServerOptions imap_options;
  imap_options.hostname = config.hostname;
  imap_options.settings = imap::settings_from(config);
  imap_options.trace = config.trace;
  imap_options.allow_plaintext_auth = config.auth.allow_plaintext;
  imap_options.login_throttle = options.login_throttle;  // one throttle for every protocol
  imap::Server imap_server(io, workers, hashers, tls, imap_options, directory, *mail_store);
  serving_imap = &imap_server;

  pop3::ServerOptions pop3_options;
  pop3_options.hostname = config.hostname;
  pop3_options.settings = pop3::settings_from(config);
  pop3_options.trace = config.trace;
  pop3_options.allow_plaintext_auth = config.auth.allow_plaintext;
  pop3_options.login_throttle = options.login_throttle;
  pop3::Server pop3_server(io, workers, hashers, tls, pop3_options, directory, *mail_store);
  serving_pop3 = &pop3_server;

  for (std::size_t i = 0; i < acceptors.size(); ++i) {
    const config::Listener& l = config.listeners[i];
    log::info("serve", "listening: {} {} ({})", l.name,
              net::describe_endpoint(acceptors[i].local_endpoint()), config::describe(l));
    if (l.protocol == config::Protocol::imap) {
      imap_server.serve(std::move(acceptors[i]), l.name, l.tls_mode == config::TlsMode::implicit);
    } else if (l.protocol == config::Protocol::pop3) {
      pop3_server.serve(std::move(acceptors[i]), l.name, l.tls_mode == config::TlsMode::implicit);
    } else {
      server.serve(std::move(acceptors[i]), mode_of(l));
    }
  }
  log::info("serve",
            "estafeta serving as {} with {} io, {} worker and {} hashing threads, "
            "data in {}",
            config.hostname, io.size(), worker_count, cores(), config.data_dir.string());
  io.start();
  if (transport) outbound_io.start();

  {
    std::unique_lock lock(mutex);
    signalled.wait(lock, [&] { return signals > 0; });
  }
  log::info(
      "serve", "shutting down: {} session(s) open",
      server.active_sessions() + imap_server.active_sessions() + pop3_server.active_sessions());
  server.shutdown();
  imap_server.shutdown();
  pop3_server.shutdown();
  auto give_up = std::chrono::steady_clock::now() + kDrainTimeout;
  auto open_sessions = [&] {
    return server.active_sessions() + imap_server.active_sessions() + pop3_server.active_sessions();
  };
  auto all_idle = [&] {
    const bool smtp_idle = server.wait_idle(std::chrono::milliseconds(50));
    const bool imap_idle = imap_server.wait_idle(std::chrono::milliseconds(50));
    const bool pop3_idle = pop3_server.wait_idle(std::chrono::milliseconds(50));
    return smtp_idle && imap_idle && pop3_idle;
  };
  while (!all_idle()) {
    std::lock_guard lock(mutex);
    if (signals > 1) {
      log::warn("serve", "second signal: not waiting for {} session(s)", open_sessions());
      break;
    }
    if (std::chrono::steady_clock::now() >= give_up) {
      log::warn("serve", "{} session(s) still open after {} s; closing them", open_sessions(),
                kDrainTimeout.count());
      break;
    }
  }
  asio::error_code ignored;
  signal_set.cancel(ignored);
  hangup.cancel(ignored);
  // Stop the network threads first (sessions still open after the drain get no further
  // reply, so nothing more is acknowledged), then let deliveries already running finish
  // rather than abandon half-written files in tmp/; what is not started stays in the spool
  // for the next start.
  if (tls_reports) tls_reports->stop();
  pickup.stop();
  if (remote) remote->stop();
  if (transport) transport->shutdown();
  outbound_io.stop();
  io.stop();
  runner.stop();
  workers.join();
  runner.finish();
  remote.reset();
  hashers.join();
  serving = nullptr;
  serving_imap = nullptr;
  serving_pop3 = nullptr;
  log::info("serve", "stopped");
  return 0;
}

}  // namespace estafeta::cli
