// cmd_cert: `estafeta cert` (cli_cert.hpp) on the S/MIME library: `ca` and `issue` make a CA
// and S/MIME certificates (PKCS#12 + PEM), `crl` revokes, `import|list|export` manage the
// user's store (smime::Store, default ~/.local/share/estafeta/smime), `inspect` prints the
// verdict on a message file. Passphrases come from --passphrase-env VAR, --passphrase-file
// FILE, or a prompt on /dev/tty without echo. Private keys are written with mode 0600.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <CLI/CLI.hpp>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <iterator>
#include <optional>

#include "cli/cli_cert.hpp"
#include "cli/commands.hpp"
#include "mime/mime_json.hpp"
#include "mua/mua_tty.hpp"
#include "smime/smime_ca.hpp"
#include "smime/smime_inspect.hpp"
#include "smime/smime_store.hpp"

namespace estafeta::cli {

namespace {

namespace fs = std::filesystem;

constexpr std::size_t kMaxInput = 64u << 20;

Result<std::string> read_input(const std::string& file) {
  std::string data;
  if (file == "-") {
    data.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  } else {
    std::ifstream in(file, std::ios::binary);
    if (!in) return PeerError{1, "", "cannot read " + file + ": " + std::strerror(errno)};
    data.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  if (data.size() > kMaxInput) return PeerError{1, "", file + " is too large"};
  return data;
}

// Writes `data` to `p` with `mode` (the file is created with it, and narrowed to it if it
// existed). With `exclusive`, an existing file is an error.
Status write_out(const fs::path& p, std::string_view data, mode_t mode, bool exclusive = false) {
  int flags = O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | (exclusive ? O_EXCL : 0);
  int fd = ::open(p.c_str(), flags, mode);
  if (fd < 0) return PeerError{1, "", "cannot write " + p.string() + ": " + std::strerror(errno)};
  ::fchmod(fd, mode);
  std::size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ::close(fd);
      return PeerError{1, "", "cannot write " + p.string() + ": " + std::strerror(errno)};
    }
    done += static_cast<std::size_t>(n);
  }
  if (::close(fd) != 0)
    return PeerError{1, "", "cannot write " + p.string() + ": " + std::strerror(errno)};
  return Ok{};
}

struct PassphraseOptions {
  std::string env;    // --passphrase-env VAR
  std::string file;   // --passphrase-file FILE
  bool none = false;  // --no-passphrase

  void add_to(CLI::App* sub, bool allow_none) {
    sub->add_option("--passphrase-env", env, "take the passphrase from this environment variable");
    sub->add_option("--passphrase-file", file, "take the passphrase from this file's first line");
    if (allow_none) sub->add_flag("--no-passphrase", none, "no passphrase (the key file is 0600)");
  }

  // A passphrase from the options; nullopt when none is set (the caller prompts).
  Result<std::optional<std::string>> given() const {
    if (none) return std::optional<std::string>(std::string());
    if (!env.empty()) {
      const char* v = std::getenv(env.c_str());
      if (!v) return PeerError{1, "", "environment variable " + env + " is not set"};
      return std::optional<std::string>(std::string(v));
    }
    if (!file.empty()) {
      auto data = read_input(file);
      if (!data) return data.error();
      std::string line = data->substr(0, data->find('\n'));
      if (!line.empty() && line.back() == '\r') line.pop_back();
      return std::optional<std::string>(line);
    }
    return std::optional<std::string>();
  }

  // For reading: the given passphrase, else a prompt on the terminal.
  smime::PassphraseCallback callback() const {
    return [this](const std::string& prompt, std::string& out) {
      auto g = given();
      if (g && *g) {
        out = **g;
        return true;
      }
      if (g && !*g && mua::have_tty()) {
        auto answer = mua::ask_tty(prompt, false);
        if (answer) {
          out = *answer;
          return true;
        }
      }
      return false;
    };
  }

  // For a new file: the given passphrase, else asked twice on the terminal.
  Result<std::string> new_passphrase(const std::string& what) const {
    auto g = given();
    if (!g) return g.error();
    if (*g) return **g;
    if (!mua::have_tty())
      return PeerError{1, "",
                       "no terminal to ask for a passphrase for " + what +
                           " (use --passphrase-env, --passphrase-file or --no-passphrase)"};
    auto a = mua::ask_tty("New passphrase for " + what + ": ", false);
    if (!a) return a.error();
    auto b = mua::ask_tty("Repeat the passphrase: ", false);
    if (!b) return b.error();
    if (*a != *b) return PeerError{1, "", "the passphrases do not match"};
    return *a;
  }
};

std::string json_string(std::string_view s) {
  std::string out;  // valid JSON whatever the bytes (not UTF-8: one \u00XX per byte)
  mime::append_json_string(out, s, false);
  return out;
}

std::string join(const std::vector<std::string>& v, const char* sep) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

Result<smime::Identity> load_ca(const std::string& dir) {
  auto key = read_input((fs::path(dir) / "ca.key").string());
  if (!key) return key.error();
  auto cert = read_input((fs::path(dir) / "ca.pem").string());
  if (!cert) return cert.error();
  return smime::Identity{*key, *cert, ""};
}

int cert_ca(const std::string& out, const std::string& name, const std::string& org, int days,
            bool ec) {
  std::error_code ec_err;
  fs::create_directories(out, ec_err);
  if (ec_err) return fail("cannot create " + out + ": " + ec_err.message());
  if (fs::exists(fs::path(out) / "ca.key")) return fail(out + "/ca.key exists: not overwritten");
  smime::CaOptions o;
  o.name = name;
  o.organization = org;
  o.days = days;
  o.key = ec ? smime::KeyType::ec_p256 : smime::KeyType::rsa2048;
  auto ca = smime::make_ca(o);
  if (!ca) return fail(ca.error().text);
  // The CA key is written unencrypted, but only ever with mode 0600.
  if (auto st = write_out(fs::path(out) / "ca.key", ca->key_pem, 0600, true); !st)
    return fail(st.error().text);
  if (auto st = write_out(fs::path(out) / "ca.pem", ca->cert_pem, 0644); !st)
    return fail(st.error().text);
  auto info = smime::read_certificate(ca->cert_pem);
  std::printf("CA %s: %s/ca.pem (certificate), %s/ca.key (key, mode 0600)\n",
              info ? info->subject.c_str() : name.c_str(), out.c_str(), out.c_str());
  return 0;
}

int cert_issue(const std::string& ca_dir, const std::string& email, const std::string& name,
               int days, bool ec, bool legacy, const std::string& out,
               const PassphraseOptions& pass) {
  auto ca = load_ca(ca_dir);
  if (!ca) return fail(ca.error().text);
  smime::IssueOptions o;
  o.email = email;
  o.name = name;
  o.days = days;
  o.key = ec ? smime::KeyType::ec_p256 : smime::KeyType::rsa2048;
  auto id = smime::issue_certificate(*ca, o);
  if (!id) return fail(id.error().text);
  fs::path p12, cert_file, key_file;
  if (out.size() > 4 && (out.ends_with(".p12") || out.ends_with(".pfx"))) {
    p12 = out;
    cert_file = fs::path(out).replace_extension(".pem");
  } else {
    std::error_code ec_err;
    fs::create_directories(out, ec_err);
    if (ec_err) return fail("cannot create " + out + ": " + ec_err.message());
    p12 = fs::path(out) / (email + ".p12");
    cert_file = fs::path(out) / (email + ".pem");
    key_file = fs::path(out) / (email + ".key");
  }
  auto passphrase = pass.new_passphrase(p12.string());
  if (!passphrase) return fail(passphrase.error().text);
  auto der = smime::identity_to_pkcs12(*id, *passphrase, email, legacy);
  if (!der) return fail(der.error().text);
  if (auto st = write_out(p12, *der, 0600); !st) return fail(st.error().text);
  if (auto st = write_out(cert_file, id->cert_pem + id->chain_pem, 0644); !st)
    return fail(st.error().text);
  if (!key_file.empty()) {
    // The key as PEM too, encrypted with the same passphrase when there is one.
    std::string key_pem = id->key_pem;
    if (!passphrase->empty()) {
      auto reenc = smime::encrypt_key_pem(id->key_pem, *passphrase);
      if (!reenc) return fail(reenc.error().text);
      key_pem = *reenc;
    }
    if (auto st = write_out(key_file, key_pem, 0600); !st) return fail(st.error().text);
  }
  auto info = smime::read_certificate(id->cert_pem);
  std::printf(
      "issued %s for %s, valid until %s\n  %s (PKCS#12, mode 0600)\n  %s (certificate and CA)\n",
      info ? info->subject.c_str() : "", email.c_str(), info ? info->not_after.c_str() : "",
      p12.c_str(), cert_file.c_str());
  if (!key_file.empty()) std::printf("  %s (private key, mode 0600)\n", key_file.c_str());
  return 0;
}

int cert_crl(const std::string& ca_dir, const std::vector<std::string>& revoke, int days,
             const std::string& out) {
  auto ca = load_ca(ca_dir);
  if (!ca) return fail(ca.error().text);
  std::vector<std::string> pems;
  for (const auto& f : revoke) {
    auto data = read_input(f);
    if (!data) return fail(data.error().text);
    pems.push_back(*data);
  }
  auto crl = smime::make_crl(*ca, pems, days);
  if (!crl) return fail(crl.error().text);
  if (auto st = write_out(out, *crl, 0644); !st) return fail(st.error().text);
  std::printf("CRL with %zu revoked certificate(s): %s\n", pems.size(), out.c_str());
  return 0;
}

Result<smime::Store> open_store(const std::string& dir) {
  smime::Store store(dir.empty() ? smime::Store::default_dir() : fs::path(dir));
  if (auto st = store.open(); !st) return st.error();
  return store;
}

int cert_import(const std::string& store_dir, const std::string& file,
                const PassphraseOptions& pass) {
  auto store = open_store(store_dir);
  if (!store) return fail(store.error().text);
  auto data = read_input(file);
  if (!data) return fail(data.error().text);
  bool pem = data->find("-----BEGIN ") != std::string::npos;
  if (pem && data->find("PRIVATE KEY-----") == std::string::npos) {
    auto info = store->add_certificate(*data);
    if (!info) return fail(file + ": " + info.error().text);
    std::printf("added %s <%s> (correspondent)\n", info->subject.c_str(),
                join(info->emails, ", ").c_str());
    return 0;
  }
  if (pem) return fail(file + ": a PEM private key: import it as PKCS#12 (.p12)");
  auto info = store->import_pkcs12(*data, pass.callback(), file);
  if (!info) return fail(file + ": " + info.error().text);
  std::printf("imported %s <%s> (own, key in %s)\n", info->subject.c_str(),
              join(info->emails, ", ").c_str(), store->dir().c_str());
  return 0;
}

int cert_list(const std::string& store_dir, bool json) {
  auto store = open_store(store_dir);
  if (!store) return fail(store.error().text);
  auto own = store->own();
  if (!own) return fail(own.error().text);
  auto people = store->people();
  if (!people) return fail(people.error().text);
  if (json) {
    std::string out = "[";
    bool first = true;
    auto emit = [&](const smime::CertInfo& c, const char* kind) {
      out += first ? "\n" : ",\n";
      first = false;
      std::vector<std::string> emails;
      for (const auto& e : c.emails) emails.push_back(json_string(e));
      out += "  {\"kind\": \"" + std::string(kind) + "\", \"subject\": " + json_string(c.subject) +
             ", \"issuer\": " + json_string(c.issuer) + ", \"emails\": [" + join(emails, ", ") +
             "], \"not_before\": " + json_string(c.not_before) +
             ", \"not_after\": " + json_string(c.not_after) +
             ", \"fingerprint\": " + json_string(c.fingerprint) + "}";
    };
    for (const auto& c : *own) emit(c, "own");
    for (const auto& c : *people) emit(c, "correspondent");
    out += first ? "]\n" : "\n]\n";
    std::fputs(out.c_str(), stdout);
    return 0;
  }
  auto line = [](const smime::CertInfo& c, const char* kind) {
    std::printf("%-4s %-30s %s, until %s, sha256 %.16s\n", kind, join(c.emails, ",").c_str(),
                c.subject.c_str(), c.not_after.c_str(), c.fingerprint.c_str());
  };
  for (const auto& c : *own) line(c, "own");
  for (const auto& c : *people) line(c, "peer");
  if (own->empty() && people->empty()) std::printf("no certificates in %s\n", store->dir().c_str());
  return 0;
}

int cert_export(const std::string& store_dir, const std::string& address, bool chain,
                const std::string& out) {
  auto store = open_store(store_dir);
  if (!store) return fail(store.error().text);
  auto own = store->own();
  if (!own) return fail(own.error().text);
  for (const auto& c : *own) {
    if (!address.empty() && !c.covers(address)) continue;
    std::string pem = c.pem;
    if (chain) {
      auto data = read_input((store->dir() / "own" / (c.fingerprint + ".chain.pem")).string());
      if (data) pem += *data;
    }
    if (out.empty() || out == "-") {
      std::fputs(pem.c_str(), stdout);
      return 0;
    }
    if (auto st = write_out(out, pem, 0644); !st) return fail(st.error().text);
    return 0;
  }
  return fail(address.empty() ? "no own certificate in " + store->dir().string()
                              : "no own certificate for " + address);
}

struct InspectOptions {
  std::string file;
  std::vector<std::string> ca_files, crl_files;
  bool no_system = false;
  bool show = false;
  bool collect = false;
};

int cert_inspect(const std::string& store_dir, const InspectOptions& o,
                 const PassphraseOptions& pass) {
  auto data = read_input(o.file);
  if (!data) return fail(data.error().text);
  smime::TrustSettings trust;
  trust.system_store = !o.no_system;
  trust.ca_files = o.ca_files;
  trust.crl_files = o.crl_files;
  std::vector<smime::Identity> keys;
  std::optional<smime::Store> store;
  if (auto s = open_store(store_dir); s) store = std::move(*s);
  // Keys are unlocked only for an encrypted message (no passphrase prompt otherwise).
  if (store && data->find("pkcs7-mime") != std::string::npos)
    keys = store->own_identities(pass.callback());
  auto v = smime::inspect(*data, trust, keys);
  if (!v) return fail(v.error().text);
  std::printf("%s\n", smime::format_verdict(*v).c_str());
  if (o.collect && store) {
    std::size_t n = store->collect(*v);
    if (n) std::printf("kept %zu certificate(s) in %s\n", n, store->dir().c_str());
  }
  if (o.show) std::printf("\n%s", v->content.c_str());
  bool bad = false;
  for (const auto& l : v->layers) {
    bad = bad || !l.problem.empty();
    for (const auto& s : l.signatures) bad = bad || !s.valid();
  }
  return bad ? 3 : 0;
}

}  // namespace

int run_cert(const std::vector<std::string>& args) {
  CLI::App app{"S/MIME certificates: a small CA, your certificate store, checking messages",
               "estafeta cert"};
  app.require_subcommand(1);
  std::string store_dir;
  app.add_option("--store", store_dir, "certificate store (default ~/.local/share/estafeta/smime)");
  app.fallthrough();
  std::function<int()> action;
  PassphraseOptions pass;

  std::string out, name, org, ca_dir, email;
  int days = 0;
  bool ec = false;
  auto* ca = app.add_subcommand("ca", "make a CA: DIR/ca.key (mode 0600) and DIR/ca.pem");
  ca->add_option("--out", out, "directory to write")->required();
  ca->add_option("--name", name, "the CA's name (CN)")->required();
  ca->add_option("--org", org, "organisation (O)");
  ca->add_option("--days", days, "validity in days (default 3650)");
  ca->add_flag("--ec", ec, "EC P-256 key instead of RSA 2048");
  ca->callback(
      [&] { action = [&] { return cert_ca(out, name, org, days > 0 ? days : 3650, ec); }; });

  auto* issue = app.add_subcommand(
      "issue", "issue an S/MIME certificate: FILE.p12 (+ FILE.pem), or DIR/ADDR.{p12,pem,key}");
  issue->add_option("--ca", ca_dir, "the CA's directory (from `cert ca`)")->required();
  issue->add_option("--email", email, "the address (subjectAltName rfc822Name)")->required();
  issue->add_option("--name", name, "the holder's name (CN; default the address)");
  issue->add_option("--days", days, "validity in days (default 365)");
  issue->add_flag("--ec", ec, "EC P-256 key instead of RSA 2048");
  bool legacy = false;
  issue->add_flag("--legacy-p12", legacy,
                  "3DES/SHA-1 PKCS#12 for older importers (gpgsm 2.2, old macOS/Windows)");
  issue->add_option("--out", out, "FILE.p12 or a directory")->required();
  pass.add_to(issue, true);
  issue->callback([&] {
    action = [&] {
      return cert_issue(ca_dir, email, name, days > 0 ? days : 365, ec, legacy, out, pass);
    };
  });

  std::vector<std::string> revoke;
  auto* crl = app.add_subcommand("crl", "write a CRL revoking the given certificates");
  crl->add_option("--ca", ca_dir, "the CA's directory")->required();
  crl->add_option("--revoke", revoke, "certificate files (PEM) to revoke");
  crl->add_option("--days", days, "days until the next update (default 30)");
  crl->add_option("--out", out, "CRL file to write (PEM)")->required();
  crl->callback(
      [&] { action = [&] { return cert_crl(ca_dir, revoke, days > 0 ? days : 30, out); }; });

  std::string file;
  auto* imp = app.add_subcommand(
      "import", "add your own identity (PKCS#12) or a correspondent's certificate (PEM)");
  imp->add_option("FILE", file, "a .p12 file or a PEM certificate")->required();
  pass.add_to(imp, false);
  imp->callback([&] { action = [&] { return cert_import(store_dir, file, pass); }; });

  bool json = false;
  auto* list = app.add_subcommand("list", "list your own and your correspondents' certificates");
  list->add_flag("--json", json, "print JSON");
  list->callback([&] { action = [&] { return cert_list(store_dir, json); }; });

  std::string address;
  bool chain = false;
  auto* exp = app.add_subcommand("export", "print your own certificate (PEM) to give to others");
  exp->add_option("ADDRESS", address, "which one (default: the first)");
  exp->add_flag("--chain", chain, "append the chain (CA certificates)");
  exp->add_option("--out", out, "file to write (default standard output)");
  exp->callback([&] { action = [&] { return cert_export(store_dir, address, chain, out); }; });

  InspectOptions io;
  auto* ins = app.add_subcommand(
      "inspect", "verify and decrypt a message file; exit 3 when something is not valid");
  ins->add_option("FILE", io.file, "message file, - for stdin")->required();
  ins->add_option("--ca-file", io.ca_files, "trust this CA file (PEM) too");
  ins->add_option("--crl", io.crl_files, "check revocation with this CRL (PEM or DER)");
  ins->add_flag("--no-system-store", io.no_system, "do not trust the system's CA store");
  ins->add_flag("--show", io.show, "print the message as decrypted/unwrapped");
  ins->add_flag("--collect", io.collect, "keep verified signers' certificates in the store");
  pass.add_to(ins, false);
  ins->callback([&] { action = [&] { return cert_inspect(store_dir, io, pass); }; });

  std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11 takes them reversed
  try {
    app.parse(reversed);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (!action) return fail("cert: no command given (see estafeta cert --help)");
  return action();
}

}  // namespace estafeta::cli
