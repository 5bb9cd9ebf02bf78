// pop3_load: the POP3 load generator of the POP3 benchmark (bench/pop3/run_bench.py, see
// bench/pop3/README.md). It speaks POP3 (RFC 1939) to any server on loopback, so the same program
// drives Estafeta and Dovecot: over implicit TLS (port 995 style, RFC 8314), over STLS (RFC 2595)
// or in plaintext (port 110 style; the server must allow plaintext logins). --clients threads
// each run whole download sessions back to back, every session on one of the client's own
// mailboxes (two sessions never share a mailbox, so no [IN-USE]): connect, greeting, USER, PASS,
// UIDL, LIST, RETR of every message, QUIT; `login` mode does only USER, PASS, QUIT. Every reply is
// checked: a -ERR or malformed reply, a RETR whose un-dot-stuffed octet count differs from the
// LIST size, a UIDL listing that disagrees with LIST, or UIDLs of a mailbox that change between
// sessions count as errors (the first is reported). It prints `pop3_load: start` and
// `pop3_load: end` on stderr around the measured sessions (the runner reads the server's CPU
// time at those marks) and one JSON object on stdout. Trust: a benchmark tool run by hand
// against servers we started; replies are read defensively (bounded line length, every socket
// read and write under a timeout, the whole run under a watchdog) but it is not hardened.
// Memory: per client one read buffer (64 KiB reads, lines up to 1 MiB) and the UIDL list of its
// mailboxes; message contents are counted, never kept.
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "../bench_tls_client.hpp"

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::string mode = "sessions";  // sessions | login
  std::string host = "127.0.0.1";
  int port = 995;
  std::string tls = "implicit";  // implicit | stls | none
  std::string ca_file;           // empty: do not verify the certificate
  std::string user_prefix = "u";
  std::string domain = "bench.test";
  std::string password = "bench-password-not-secret";
  int users = 10;               // mailboxes u0..u{users-1}
  int clients = 4;              // parallel sessions
  double duration = 5;          // seconds; sessions started before the end are finished
  int once = 0;                 // > 0: each client runs this many rounds over its mailboxes instead
  double io_timeout = 30;       // seconds per socket read or write
  bool quickack = false;        // diagnostics: TCP_QUICKACK before every read (no delayed ACKs)
  double watchdog_slack = 120;  // the run is abandoned (exit 3) this long after its end
};

[[noreturn]] void die(const std::string& msg) {
  std::fprintf(stderr, "pop3_load: %s\n", msg.c_str());
  std::exit(2);
}

std::string user_name(const Options& o, int i) {
  return o.user_prefix + std::to_string(i) + "@" + o.domain;
}

std::string json_escape(std::string_view s) {
  std::string out;
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else if (c < 0x20 || c >= 0x7f) {
      char b[8];
      std::snprintf(b, sizeof b, "\\u%04x", c);
      out += b;
    } else {
      out += ch;
    }
  }
  return out;
}

// A protocol failure of one session: the session is abandoned and counted as an error.
struct SessionError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

SSL_CTX* make_ctx(const Options& o) {
  return estafeta::bench::make_client_ctx(o.ca_file, die);
}

// ---------------------------------------------------------------------------------------------
// One POP3 connection, blocking, plaintext or TLS.

constexpr size_t kMaxLine = 1 << 20;
constexpr size_t kReadChunk = 64 * 1024;

class Conn {
 public:
  Conn(SSL_CTX* ctx, const Options& o) : ctx_(ctx), opt_(o) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd_ < 0) throw SessionError("socket");
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(o.io_timeout);
    tv.tv_usec = static_cast<suseconds_t>((o.io_timeout - static_cast<double>(tv.tv_sec)) * 1e6);
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(static_cast<uint16_t>(o.port));
    if (inet_pton(AF_INET, o.host.c_str(), &sa.sin_addr) != 1) die("bad host " + o.host);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0)
      throw SessionError(std::string("connect: ") + std::strerror(errno));
    int one = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (o.tls == "implicit") start_tls();
    std::string greet = read_line();
    if (greet.rfind("+OK", 0) != 0) throw SessionError("greeting: " + greet);
    if (o.tls == "stls") {
      std::string r = command("STLS");
      if (r.rfind("+OK", 0) != 0) throw SessionError("STLS: " + r);
      if (off_ != buf_.size()) throw SessionError("data after the STLS reply");
      start_tls();
    }
  }
  ~Conn() {
    if (ssl_) SSL_free(ssl_);
    if (fd_ >= 0) ::close(fd_);
  }
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;

  void send(std::string_view data) {
    while (!data.empty()) {
      long n;
      if (ssl_)
        n = SSL_write(ssl_, data.data(), static_cast<int>(std::min<size_t>(data.size(), 1 << 20)));
      else
        n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) throw SessionError("write failed");
      data.remove_prefix(static_cast<size_t>(n));
    }
  }

  // One reply line without its CRLF.
  std::string read_line() {
    std::string_view v = next_line();
    return std::string(v);
  }

  // Sends `cmd` CRLF and returns the status line.
  std::string command(std::string_view cmd) {
    std::string line(cmd);
    line += "\r\n";
    send(line);
    return read_line();
  }

  // Sends `cmd`, requires +OK, and returns the status line (the detail for error reports:
  // USER/PASS keep the password out of it).
  std::string command_ok(std::string_view cmd, std::string_view what) {
    std::string r = command(cmd);
    if (r.rfind("+OK", 0) != 0) throw SessionError(std::string(what) + ": " + r);
    return r;
  }

  // The lines of a multi-line reply up to the terminating ".", dot-stuffing removed (RFC 1939
  // 3). With `lines` null the lines are only counted. Returns the octets of the content with a
  // CRLF after every line, which is what a LIST size counts.
  uint64_t read_multiline(std::vector<std::string>* lines) {
    uint64_t octets = 0;
    for (;;) {
      std::string_view v = next_line();
      if (!v.empty() && v[0] == '.') {
        if (v.size() == 1) return octets;
        v.remove_prefix(1);
      }
      octets += v.size() + 2;
      if (lines) lines->emplace_back(v);
    }
  }

 private:
  void start_tls() {
    ssl_ = SSL_new(ctx_);
    SSL_set_fd(ssl_, fd_);
    SSL_set_tlsext_host_name(ssl_, "localhost");
    if (!opt_.ca_file.empty()) SSL_set1_host(ssl_, opt_.host.c_str());
    if (SSL_connect(ssl_) != 1) {
      ERR_clear_error();
      throw SessionError("TLS handshake failed");
    }
  }

  void fill() {
    if (off_ > 0 && off_ >= buf_.size() / 2) {
      buf_.erase(0, off_);
      off_ = 0;
    }
    size_t old = buf_.size();
    buf_.resize(old + kReadChunk);
    if (opt_.quickack) {
      int one = 1;
      setsockopt(fd_, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
    }
    long n;
    if (ssl_)
      n = SSL_read(ssl_, buf_.data() + old, static_cast<int>(kReadChunk));
    else
      n = ::recv(fd_, buf_.data() + old, kReadChunk, 0);
    if (n <= 0) {
      buf_.resize(old);
      if (ssl_) ERR_clear_error();
      throw SessionError(
          n == 0 ? "connection closed by the server"
                 : (errno == EAGAIN || errno == EWOULDBLOCK ? "read timed out" : "read failed"));
    }
    buf_.resize(old + static_cast<size_t>(n));
  }

  // The next line in the buffer (valid until the next read), without CRLF.
  std::string_view next_line() {
    size_t pos;
    size_t searched = 0;  // octets after off_ known to hold no CRLF (but for a final CR)
    while ((pos = buf_.find("\r\n", off_ + searched)) == std::string::npos) {
      searched = buf_.size() - off_;
      if (searched > 0) searched -= 1;
      if (searched > kMaxLine) throw SessionError("reply line too long");
      fill();  // may move the data to the front: off_ changes, `searched` stays relative
    }
    std::string_view v(buf_.data() + off_, pos - off_);
    off_ = pos + 2;
    return v;
  }

  SSL_CTX* ctx_;
  const Options& opt_;
  int fd_ = -1;
  SSL* ssl_ = nullptr;
  std::string buf_;
  size_t off_ = 0;
};

// ---------------------------------------------------------------------------------------------
// Sessions

struct ClientResult {
  long sessions = 0;
  long messages = 0;
  uint64_t octets = 0;
  long errors = 0;
  long size_mismatches = 0;
  long uidl_changes = 0;
  std::string first_error;
  std::vector<double> session_ms;
};

// The UIDL listing of a mailbox as first seen; later sessions must see the same.
using UidlMap = std::map<int, std::vector<std::string>>;

void note_error(ClientResult& res, const std::string& what) {
  res.errors++;
  if (res.first_error.empty()) res.first_error = what;
}

// "+OK ..." status of a multi-line reply, then its lines.
std::vector<std::string> multiline_ok(Conn& c, std::string_view cmd) {
  std::string r = c.command(cmd);
  if (r.rfind("+OK", 0) != 0) throw SessionError(std::string(cmd) + ": " + r);
  std::vector<std::string> lines;
  c.read_multiline(&lines);
  return lines;
}

// Parses "n rest" lines (LIST: rest is the size; UIDL: the unique-id) into rest by n.
std::vector<std::string> numbered(const std::vector<std::string>& lines, std::string_view what) {
  std::vector<std::string> out;
  for (const std::string& l : lines) {
    size_t sp = l.find(' ');
    if (sp == std::string::npos || sp == 0) throw SessionError(std::string(what) + " line: " + l);
    long n = std::strtol(l.c_str(), nullptr, 10);
    if (n != static_cast<long>(out.size()) + 1)
      throw SessionError(std::string(what) + " numbering: " + l);
    out.push_back(l.substr(sp + 1));
  }
  return out;
}

void one_session(const Options& o, SSL_CTX* ctx, int user, ClientResult& res, UidlMap& uidls) {
  auto t0 = Clock::now();
  Conn c(ctx, o);
  c.command_ok("USER " + user_name(o, user), "USER");
  c.command_ok("PASS " + o.password, "PASS");
  if (o.mode == "sessions") {
    std::vector<std::string> uid = numbered(multiline_ok(c, "UIDL"), "UIDL");
    std::vector<std::string> sizes = numbered(multiline_ok(c, "LIST"), "LIST");
    if (uid.size() != sizes.size())
      throw SessionError("UIDL lists " + std::to_string(uid.size()) + " messages, LIST " +
                         std::to_string(sizes.size()));
    for (const std::string& u : uid)
      if (u.empty() || u.size() > 70 || u.find_first_of(" \t") != std::string::npos)
        throw SessionError("bad unique-id: " + u);
    auto [it, fresh] = uidls.try_emplace(user, uid);
    if (!fresh && it->second != uid) {
      res.uidl_changes++;
      note_error(res, user_name(o, user) + ": UIDL listing changed between sessions");
      it->second = uid;
    }
    for (size_t i = 0; i < sizes.size(); ++i) {
      std::string n = std::to_string(i + 1);
      c.command_ok("RETR " + n, "RETR " + n);
      uint64_t got = c.read_multiline(nullptr);
      uint64_t want = std::strtoull(sizes[i].c_str(), nullptr, 10);
      if (got != want) {
        res.size_mismatches++;
        note_error(res, "RETR " + n + " of " + user_name(o, user) + ": " + std::to_string(got) +
                            " octets, LIST said " + sizes[i]);
      }
      res.messages++;
      res.octets += got;
    }
  }
  c.command_ok("QUIT", "QUIT");
  res.sessions++;
  res.session_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
}

void client(const Options& o, SSL_CTX* ctx, int index, Clock::time_point end, ClientResult& res) {
  std::vector<int> mine;
  for (int u = index; u < o.users; u += o.clients) mine.push_back(u);
  UidlMap uidls;
  size_t next = 0;
  long rounds_left = o.once > 0 ? static_cast<long>(o.once) * static_cast<long>(mine.size()) : -1;
  while (o.once > 0 ? rounds_left-- > 0 : Clock::now() < end) {
    int user = mine[next++ % mine.size()];
    try {
      one_session(o, ctx, user, res, uidls);
    } catch (const SessionError& e) {
      note_error(res, user_name(o, user) + ": " + e.what());
      // A server that refuses at once should not turn the run into a busy loop.
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

int run(const Options& o, SSL_CTX* ctx) {
  if (o.users < o.clients)
    die("--users must be at least --clients (each mailbox is used by one session at a time)");
  std::vector<ClientResult> res(static_cast<size_t>(o.clients));
  // The runner samples the server's CPU time at these two marks.
  std::fprintf(stderr, "pop3_load: start %d clients\n", o.clients);
  std::fflush(stderr);
  auto start = Clock::now();
  auto end = start +
             std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.duration));
  std::vector<std::thread> ts;
  for (int i = 0; i < o.clients; ++i)
    ts.emplace_back([&, i] { client(o, ctx, i, end, res[static_cast<size_t>(i)]); });
  for (auto& t : ts) t.join();
  double secs = std::chrono::duration<double>(Clock::now() - start).count();
  std::fprintf(stderr, "pop3_load: end\n");
  std::fflush(stderr);
  ClientResult all;
  for (auto& r : res) {
    all.sessions += r.sessions;
    all.messages += r.messages;
    all.octets += r.octets;
    all.errors += r.errors;
    all.size_mismatches += r.size_mismatches;
    all.uidl_changes += r.uidl_changes;
    if (all.first_error.empty()) all.first_error = r.first_error;
    all.session_ms.insert(all.session_ms.end(), r.session_ms.begin(), r.session_ms.end());
  }
  std::printf(
      "{\"mode\":\"%s\",\"tls\":\"%s\",\"clients\":%d,\"users\":%d,\"seconds\":%.3f,"
      "\"sessions\":%ld,\"sessions_per_s\":%.2f,\"messages\":%ld,\"octets\":%llu,"
      "\"mib_per_s\":%.2f,\"session_ms_median\":%.2f,\"session_ms_p90\":%.2f,\"errors\":%ld,"
      "\"size_mismatches\":%ld,\"uidl_changes\":%ld,\"first_error\":\"%s\"}\n",
      o.mode.c_str(), o.tls.c_str(), o.clients, o.users, secs, all.sessions,
      static_cast<double>(all.sessions) / secs, all.messages,
      static_cast<unsigned long long>(all.octets),
      static_cast<double>(all.octets) / secs / (1 << 20), percentile(all.session_ms, 0.5),
      percentile(all.session_ms, 0.9), all.errors, all.size_mismatches, all.uidl_changes,
      json_escape(all.first_error).c_str());
  return all.errors || all.sessions == 0 ? 1 : 0;
}

void usage() {
  std::fprintf(stderr,
               "usage: pop3_load [--mode sessions|login] [--host 127.0.0.1] --port N\n"
               "  [--tls implicit|stls|none] [--ca FILE] [--users N] [--clients N]\n"
               "  [--duration S | --once ROUNDS] [--prefix u] [--domain bench.test]\n"
               "  [--password P] [--io-timeout S] [--quickack]\n");
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto val = [&]() -> std::string {
      if (i + 1 >= argc) usage();
      return argv[++i];
    };
    if (a == "--mode")
      o.mode = val();
    else if (a == "--host")
      o.host = val();
    else if (a == "--port")
      o.port = std::stoi(val());
    else if (a == "--tls")
      o.tls = val();
    else if (a == "--ca")
      o.ca_file = val();
    else if (a == "--users")
      o.users = std::stoi(val());
    else if (a == "--clients")
      o.clients = std::stoi(val());
    else if (a == "--duration")
      o.duration = std::stod(val());
    else if (a == "--once")
      o.once = std::stoi(val());
    else if (a == "--prefix")
      o.user_prefix = val();
    else if (a == "--domain")
      o.domain = val();
    else if (a == "--password")
      o.password = val();
    else if (a == "--io-timeout")
      o.io_timeout = std::stod(val());
    else if (a == "--quickack")
      o.quickack = true;
    else
      usage();
  }
  if (o.mode != "sessions" && o.mode != "login") usage();
  if (o.tls != "implicit" && o.tls != "stls" && o.tls != "none") usage();
  if (o.clients < 1 || o.users < 1 || o.io_timeout <= 0 || o.duration < 0) usage();
  std::signal(SIGPIPE, SIG_IGN);
  // Watchdog: whatever the server does, the run ends (sessions in flight at the end of the
  // duration get io_timeout per read; a server stalling them all is given up on).
  double limit = (o.once > 0 ? 3600 : o.duration) + o.watchdog_slack;
  std::thread([limit] {
    std::this_thread::sleep_for(std::chrono::duration<double>(limit));
    std::fprintf(stderr, "pop3_load: run still going after %.0f s, giving up\n", limit);
    std::fflush(stderr);
    std::_Exit(3);
  }).detach();
  SSL_CTX* ctx = make_ctx(o);
  int rc = run(o, ctx);
  std::fflush(stdout);
  SSL_CTX_free(ctx);
  return rc;
}
