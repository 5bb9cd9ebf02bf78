// imap_load: the IMAP load generator of the IMAP benchmark (bench/imap/run_bench.py, see
// bench/imap/README.md). It speaks IMAP4rev1 over implicit TLS (OpenSSL, blocking sockets, one
// thread per simulated client) to any server on loopback, so the same program drives Estafeta
// and Dovecot. With --plain it speaks without TLS (a
// server that allows plaintext login). Modes: `fill` APPENDs generated, deterministic messages
// (realistic headers, plain, alternative and mixed MIME with a base64 attachment) into users'
// INBOXes; `mix` logs in N users and runs a weighted client mix (SELECT, FETCH
// flags/envelopes/BODY.PEEK[]/BODYSTRUCTURE, STORE, UID SEARCH, APPEND, EXPUNGE, IDLE/DONE) for a
// fixed time; `login` counts TLS login+logout pairs per second; `idle` opens K connections parked
// in IDLE, reports when all are up and holds them until stdin closes; `search` times UID SEARCH
// TEXT on one mailbox. Results go to stdout as one JSON object. Trust: a benchmark tool, run by
// hand against servers we started; it reads server replies defensively (bounded line and literal
// sizes) but is not hardened. Memory: one reply buffer per connection (literals up to 64 MiB),
// generated messages are built one at a time.
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "../bench_tls_client.hpp"

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::string mode = "mix";
  std::string host = "127.0.0.1";
  int port = 993;
  std::string ca_file;  // empty: do not verify the certificate
  bool plain = false;   // --plain: no TLS at all (port 143 with plaintext login allowed)
  std::string user_prefix = "u";
  std::string domain = "bench.test";
  std::string password = "bench-password-not-secret";
  int users = 10;         // mix/fill/idle: users u0..u{users-1}
  int first_user = 0;     // fill: start index
  std::string user;       // search/fill: one explicit user instead
  int messages = 500;     // fill: messages per user
  int threads = 4;        // fill/login/idle: worker threads
  double duration = 10;   // mix/login: seconds
  int connections = 100;  // idle: connections in total
  int searches = 10;      // search: number of UID SEARCH TEXT
  uint64_t seed = 1;
  std::string weights;  // mix: "kind=w,..." overriding the default weights
};

[[noreturn]] void die(const std::string& msg) {
  std::fprintf(stderr, "imap_load: %s\n", msg.c_str());
  std::exit(2);
}

std::string user_name(const Options& o, int i) {
  return o.user_prefix + std::to_string(i) + "@" + o.domain;
}

// ---------------------------------------------------------------------------------------------
// Message generator: deterministic from (seed, user, index).

const char* const kWords[] = {
    "meeting",  "budget",   "report",   "invoice",  "travel",   "schedule", "project", "review",
    "release",  "quarter",  "customer", "contract", "server",   "backup",   "holiday", "agenda",
    "draft",    "proposal", "design",   "garden",   "concert",  "ticket",   "lunch",   "weekly",
    "summary",  "question", "update",   "deadline", "feedback", "invite",   "photos",  "family",
    "account",  "password", "delivery", "order",    "shipping", "receipt",  "minutes", "roadmap",
    "planning", "kernel",   "database", "network",  "security", "printer",  "office",  "museum",
    "bicycle",  "recipe",   "football", "weather",  "harvest",  "library",  "journal", "estimate"};
constexpr size_t kNumWords = sizeof(kWords) / sizeof(kWords[0]);
const char* const kNames[] = {"Alice Martin",  "Bob Keller",   "Carla Rossi",  "Dmitri Volkov",
                              "Eva Lindqvist", "Farid Haddad", "Grace Okafor", "Hiro Tanaka",
                              "Ines Moreau",   "Jonas Berg",   "Kavya Iyer",   "Luis Ortega"};
constexpr size_t kNumNames = sizeof(kNames) / sizeof(kNames[0]);

std::string sentence(std::mt19937_64& rng, int words) {
  std::string s;
  for (int i = 0; i < words; ++i) {
    if (i) s += ' ';
    s += kWords[rng() % kNumWords];
  }
  return s;
}

std::string text_body(std::mt19937_64& rng, size_t bytes) {
  std::string s;
  while (s.size() < bytes) {
    std::string line = sentence(rng, 6 + static_cast<int>(rng() % 6));
    line[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(line[0])));
    s += line + ".\r\n";
    if (rng() % 6 == 0) s += "\r\n";
  }
  return s;
}

std::string base64_lines(std::mt19937_64& rng, size_t raw) {
  static const char* tbl = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string s;
  size_t chars = (raw + 2) / 3 * 4;
  for (size_t i = 0; i < chars; ++i) {
    s += tbl[rng() % 64];
    if (i % 76 == 75) s += "\r\n";
  }
  if (chars % 76) s += "\r\n";
  return s;
}

std::string email_of(std::string_view name) {
  std::string e;
  for (char c : name) e += c == ' ' ? '.' : static_cast<char>(std::tolower(c));
  return e + "@example.org";
}

std::string make_message(uint64_t seed, int user, int index) {
  std::mt19937_64 rng(seed * 1000003u + static_cast<uint64_t>(user) * 7919u +
                      static_cast<uint64_t>(index));
  std::string from = kNames[rng() % kNumNames];
  std::string to = kNames[rng() % kNumNames];
  std::string subject = sentence(rng, 3 + static_cast<int>(rng() % 4));
  if (rng() % 8 == 0) subject = "=?UTF-8?Q?R=C3=A9union?= " + subject;
  if (rng() % 3 == 0) subject = "Re: " + subject;
  int day = 1 + static_cast<int>(rng() % 28);
  int hour = static_cast<int>(rng() % 24), minute = static_cast<int>(rng() % 60);
  char date[64];
  std::snprintf(date, sizeof date, "%s, %d Nov 2026 %02d:%02d:%02d +0100",
                (const char*[]){"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"}[day % 7], day,
                hour, minute, static_cast<int>(rng() % 60));
  std::string m;
  m += "Return-Path: <" + email_of(from) + ">\r\n";
  m += "Received: from mail.example.org (mail.example.org [192.0.2.10])\r\n\tby mx.bench.test with "
       "ESMTPS id " +
       std::to_string(rng() % 100000000) + "\r\n\tfor <" + email_of(to) + ">; " + date + "\r\n";
  m += "Received: from [198.51.100.7] by mail.example.org with ESMTPSA; " + std::string(date) +
       "\r\n";
  m += "Date: " + std::string(date) + "\r\n";
  m += "From: \"" + from + "\" <" + email_of(from) + ">\r\n";
  m += "To: \"" + to + "\" <" + email_of(to) + ">\r\n";
  if (rng() % 3 == 0) m += "Cc: " + email_of(kNames[rng() % kNumNames]) + "\r\n";
  m += "Subject: " + subject + "\r\n";
  m += "Message-ID: <" + std::to_string(rng()) + "." + std::to_string(index) + "@example.org>\r\n";
  m += "MIME-Version: 1.0\r\n";
  unsigned kind = rng() % 100;
  std::string boundary = "=_b" + std::to_string(rng() % 1000000000);
  size_t text = 500 + rng() % 6000;
  if (kind < 60) {
    m += "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n";
    m += text_body(rng, text);
  } else if (kind < 85) {
    m += "Content-Type: multipart/alternative; boundary=\"" + boundary + "\"\r\n\r\n";
    std::string body = text_body(rng, text);
    m += "--" + boundary + "\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + body;
    m += "--" + boundary +
         "\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: "
         "quoted-printable\r\n\r\n<html><body><p>" +
         body + "</p></body></html>\r\n";
    m += "--" + boundary + "--\r\n";
  } else {
    m += "Content-Type: multipart/mixed; boundary=\"" + boundary + "\"\r\n\r\n";
    m += "--" + boundary + "\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" +
         text_body(rng, text);
    m += "--" + boundary + "\r\nContent-Type: application/pdf; name=\"" +
         kWords[rng() % kNumWords] +
         ".pdf\"\r\nContent-Disposition: attachment; filename=\"document.pdf\"\r\n"
         "Content-Transfer-Encoding: base64\r\n\r\n";
    m += base64_lines(rng, 20000 + rng() % 80000);
    m += "--" + boundary + "--\r\n";
  }
  return m;
}

// ---------------------------------------------------------------------------------------------
// One IMAP connection over TLS, blocking.

SSL_CTX* make_ctx(const Options& o) {
  return estafeta::bench::make_client_ctx(o.ca_file, die);
}

struct Reply {
  bool ok = false;
  std::string status;  // the tagged line
  std::vector<std::string> untagged;
};

class Conn {
 public:
  Conn(SSL_CTX* ctx, const Options& o) : opt_(o) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd_ < 0) throw std::runtime_error("socket");
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(static_cast<uint16_t>(o.port));
    if (inet_pton(AF_INET, o.host.c_str(), &sa.sin_addr) != 1) die("bad host " + o.host);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0)
      throw std::runtime_error(std::string("connect: ") + std::strerror(errno));
    int one = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (!ctx) {  // --plain: no TLS (the server must allow plaintext login)
      std::string greet = read_line();
      if (greet.rfind("* OK", 0) != 0) throw std::runtime_error("greeting: " + greet);
      return;
    }
    ssl_ = SSL_new(ctx);
    SSL_set_fd(ssl_, fd_);
    SSL_set_tlsext_host_name(ssl_, "localhost");
    if (!opt_.ca_file.empty()) SSL_set1_host(ssl_, o.host.c_str());
    if (SSL_connect(ssl_) != 1) throw std::runtime_error("TLS handshake failed");
    std::string greet = read_line();
    if (greet.rfind("* OK", 0) != 0) throw std::runtime_error("greeting: " + greet);
  }
  ~Conn() {
    if (ssl_) SSL_free(ssl_);
    if (fd_ >= 0) ::close(fd_);
  }
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;

  void send(std::string_view data) {
    while (!data.empty()) {
      int chunk = static_cast<int>(std::min<size_t>(data.size(), 1 << 20));
      int n = ssl_ ? SSL_write(ssl_, data.data(), chunk)
                   : static_cast<int>(
                         ::send(fd_, data.data(), static_cast<size_t>(chunk), MSG_NOSIGNAL));
      if (n <= 0) throw std::runtime_error("write failed");
      data.remove_prefix(static_cast<size_t>(n));
    }
  }

  // A response line with its literals inlined ("{n}\r\n" + n octets), without the final CRLF.
  std::string read_line() {
    std::string out;
    for (;;) {
      size_t pos;
      while ((pos = buf_.find("\r\n", off_)) == std::string::npos) fill();
      std::string_view line(buf_.data() + off_, pos - off_);
      out.append(line);
      off_ = pos + 2;
      // Literal at the end of the line?
      if (!line.empty() && line.back() == '}') {
        size_t open = line.rfind('{');
        if (open != std::string_view::npos) {
          size_t n = std::strtoull(std::string(line.substr(open + 1)).c_str(), nullptr, 10);
          if (n > (64u << 20)) throw std::runtime_error("literal too large");
          while (buf_.size() - off_ < n) fill();
          out.append("\r\n");
          out.append(buf_, off_, n);
          off_ += n;
          continue;  // the rest of the response follows the literal
        }
      }
      compact();
      return out;
    }
  }

  // Sends `cmd` with a fresh tag and reads up to the tagged reply.
  Reply command(const std::string& cmd) {
    std::string tag = next_tag();
    send(tag + " " + cmd + "\r\n");
    return read_reply(tag);
  }

  Reply read_reply(const std::string& tag) {
    Reply r;
    for (;;) {
      std::string line = read_line();
      if (line.size() > tag.size() && line.compare(0, tag.size(), tag) == 0 &&
          line[tag.size()] == ' ') {
        r.ok = line.compare(tag.size() + 1, 2, "OK") == 0;
        r.status = std::move(line);
        return r;
      }
      note_untagged(line);
      r.untagged.push_back(std::move(line));
    }
  }

  std::string next_tag() { return "a" + std::to_string(++tag_); }

  void login(const std::string& user) {
    Reply r = command("LOGIN \"" + user + "\" \"" + opt_.password + "\"");
    if (!r.ok) throw std::runtime_error("LOGIN " + user + ": " + r.status);
  }

  // Tracks the message count of the selected mailbox from untagged EXISTS / EXPUNGE.
  void note_untagged(const std::string& line) {
    if (line.size() < 3 || line[0] != '*') return;
    char* end = nullptr;
    long n = std::strtol(line.c_str() + 2, &end, 10);
    if (end == line.c_str() + 2) return;
    std::string_view rest(end);
    if (rest == " EXISTS")
      exists_ = n;
    else if (rest == " EXPUNGE" && exists_ > 0)
      --exists_;
  }

  long exists_ = 0;

 private:
  void fill() {
    char tmp[16384];
    int n =
        ssl_ ? SSL_read(ssl_, tmp, sizeof tmp) : static_cast<int>(::recv(fd_, tmp, sizeof tmp, 0));
    if (n <= 0) throw std::runtime_error("connection closed by server");
    buf_.append(tmp, static_cast<size_t>(n));
    if (buf_.size() - off_ > (80u << 20)) throw std::runtime_error("reply too large");
  }
  void compact() {
    if (off_ == buf_.size()) {
      buf_.clear();
      off_ = 0;
    } else if (off_ > 65536) {
      buf_.erase(0, off_);
      off_ = 0;
    }
  }

  const Options& opt_;
  int fd_ = -1;
  SSL* ssl_ = nullptr;
  std::string buf_;
  size_t off_ = 0;
  uint64_t tag_ = 0;
};

std::string append_command(Conn& c, const std::string& msg, const std::string& flags,
                           std::string* tag_out) {
  // LITERAL+ (RFC 7888): both servers under test advertise it.
  *tag_out = c.next_tag();
  return *tag_out + " APPEND INBOX (" + flags + ") {" + std::to_string(msg.size()) + "+}\r\n" +
         msg + "\r\n";
}

std::string json_escape(std::string_view s) {
  std::string o;
  for (char c : s) {
    if (c == '"' || c == '\\') o += '\\';
    if (static_cast<unsigned char>(c) < 0x20) continue;
    o += c;
  }
  return o;
}

// ---------------------------------------------------------------------------------------------
// fill

int run_fill(const Options& o, SSL_CTX* ctx) {
  std::vector<int> users;
  if (!o.user.empty())
    users.push_back(-1);
  else
    for (int i = 0; i < o.users; ++i) users.push_back(o.first_user + i);
  std::atomic<size_t> next{0};
  std::atomic<long> appended{0}, failed{0};
  std::mutex err_mu;
  std::string first_error;
  auto t0 = Clock::now();
  auto worker = [&] {
    for (;;) {
      size_t k = next++;
      if (k >= users.size()) return;
      int u = users[k];
      std::string name = u < 0 ? o.user : user_name(o, u);
      try {
        Conn c(ctx, o);
        c.login(name);
        // MULTIAPPEND (RFC 3502) with LITERAL+: 20 messages per command, one transaction
        // each on both servers, so filling is not bound by one fsync per message.
        for (int i = 0; i < o.messages; i += 20) {
          int last = std::min(o.messages, i + 20);
          std::string tag = c.next_tag();
          std::string cmd = tag + " APPEND INBOX";
          for (int j = i; j < last; ++j) {
            std::mt19937_64 f(o.seed + static_cast<uint64_t>(j));
            unsigned roll = f() % 100;
            std::string flags = roll < 70 ? "\\Seen" : "";
            if (roll % 20 == 0) flags += flags.empty() ? "\\Flagged" : " \\Flagged";
            std::string msg = make_message(o.seed, u < 0 ? 1000000 : u, j);
            cmd += " (" + flags + ") {" + std::to_string(msg.size()) + "+}\r\n" + msg;
          }
          cmd += "\r\n";
          c.send(cmd);
          Reply r = c.read_reply(tag);
          if (r.ok) {
            appended += last - i;
          } else {
            failed += last - i;
            std::lock_guard lk(err_mu);
            if (first_error.empty()) first_error = r.status;
          }
        }
        c.command("LOGOUT");
      } catch (const std::exception& e) {
        ++failed;
        std::lock_guard lk(err_mu);
        if (first_error.empty()) first_error = name + ": " + e.what();
      }
    }
  };
  std::vector<std::thread> ts;
  for (int i = 0; i < std::max(1, o.threads); ++i) ts.emplace_back(worker);
  for (auto& t : ts) t.join();
  double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  std::printf(
      "{\"mode\":\"fill\",\"appended\":%ld,\"failed\":%ld,\"seconds\":%.3f,"
      "\"first_error\":\"%s\"}\n",
      appended.load(), failed.load(), secs, json_escape(first_error).c_str());
  return failed ? 1 : 0;
}

// ---------------------------------------------------------------------------------------------
// mix

enum Op {
  kSelect,
  kFetchFlags,
  kFetchEnvelope,
  kFetchBody,
  kFetchBodystructure,
  kStoreFlags,
  kSearchFlags,
  kSearchSubject,
  kSearchText,
  kAppend,
  kExpunge,
  kIdle,
  kNumOps
};
const char* const kOpNames[kNumOps] = {
    "select",      "fetch_flags",  "fetch_envelope", "fetch_body",  "fetch_bodystructure",
    "store_flags", "search_flags", "search_subject", "search_text", "append",
    "expunge",     "idle"};
// Weights: a mail client's day, dominated by reading and flagging, with some syncing,
// searching, filing and IDLE.
const int kOpWeights[kNumOps] = {4, 8, 12, 20, 10, 15, 5, 5, 2, 6, 6, 7};

// The default weights with `spec` ("fetch_body=1,append=0") applied; "only" style profiling
// is a spec giving one kind a weight and every other 0 ("all=0,fetch_body=1").
std::vector<int> mix_weights(const std::string& spec) {
  std::vector<int> w(std::begin(kOpWeights), std::end(kOpWeights));
  size_t pos = 0;
  while (pos < spec.size()) {
    size_t comma = spec.find(',', pos);
    std::string item =
        spec.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    pos = comma == std::string::npos ? spec.size() : comma + 1;
    size_t eq = item.find('=');
    if (eq == std::string::npos) die("bad --weights item " + item);
    std::string name = item.substr(0, eq);
    int value = std::stoi(item.substr(eq + 1));
    bool found = false;
    for (int k = 0; k < kNumOps; ++k)
      if (name == "all" || name == kOpNames[k]) w[static_cast<size_t>(k)] = value, found = true;
    if (!found) die("unknown operation " + name);
  }
  return w;
}

struct MixResult {
  long ops[kNumOps] = {};
  long errors = 0;
  std::string first_error;
};

void mix_worker(const Options& o, SSL_CTX* ctx, int user, std::atomic<int64_t>& start_ns,
                MixResult& res, std::atomic<int>& ready) {
  std::mt19937_64 rng(o.seed * 31 + static_cast<uint64_t>(user));
  std::vector<int> weights = mix_weights(o.weights);
  std::discrete_distribution<int> pick(weights.begin(), weights.end());
  std::unique_ptr<Conn> c;
  try {
    c = std::make_unique<Conn>(ctx, o);
    c->login(user_name(o, user));
    if (!c->command("SELECT INBOX").ok) throw std::runtime_error("SELECT failed");
  } catch (const std::exception& e) {
    res.errors++;
    res.first_error = e.what();
    ready++;
    return;
  }
  ready++;
  // Everyone logs in and selects first; the clock starts when the main thread says so.
  while (start_ns.load() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  auto end = Clock::time_point(Clock::duration(start_ns.load())) +
             std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.duration));
  int append_index = 1000000 + static_cast<int>(rng() % 1000000);
  auto rnd_seq = [&] {
    return 1 + static_cast<long>(rng() % static_cast<uint64_t>(std::max(1L, c->exists_)));
  };
  try {
    while (Clock::now() < end) {
      int op = pick(rng);
      long n = c->exists_;
      if (n == 0 && op != kAppend && op != kSelect && op != kIdle) op = kAppend;
      Reply r;
      switch (op) {
        case kSelect:
          r = c->command("SELECT INBOX");
          break;
        case kFetchFlags:
          r = c->command("FETCH 1:* (UID FLAGS)");
          break;
        case kFetchEnvelope: {
          long a = std::max(1L, n - 49 - static_cast<long>(rng() % static_cast<uint64_t>(n)));
          long b = std::min(n, a + 49);
          r = c->command("FETCH " + std::to_string(a) + ":" + std::to_string(b) +
                         " (UID FLAGS RFC822.SIZE INTERNALDATE ENVELOPE BODY.PEEK[HEADER.FIELDS "
                         "(REFERENCES LIST-ID)])");
          break;
        }
        case kFetchBody:
          r = c->command("FETCH " + std::to_string(rnd_seq()) + " (UID BODY.PEEK[])");
          break;
        case kFetchBodystructure:
          r = c->command("FETCH " + std::to_string(rnd_seq()) + " (UID BODYSTRUCTURE)");
          break;
        case kStoreFlags: {
          const char* what = (rng() % 2) ? "+FLAGS" : "-FLAGS";
          const char* flag = (rng() % 3) ? "(\\Seen)" : "(\\Flagged)";
          r = c->command("STORE " + std::to_string(rnd_seq()) + " " + what + " " + flag);
          break;
        }
        case kSearchFlags:
          r = c->command((rng() % 2) ? "UID SEARCH UNSEEN" : "UID SEARCH FLAGGED");
          break;
        case kSearchSubject:
          r = c->command(std::string("UID SEARCH SUBJECT \"") + kWords[rng() % kNumWords] + "\"");
          break;
        case kSearchText:
          r = c->command(std::string("UID SEARCH TEXT \"") + kWords[rng() % kNumWords] + "\"");
          break;
        case kAppend: {
          std::string tag;
          c->send(append_command(*c, make_message(o.seed, user, append_index++), "", &tag));
          r = c->read_reply(tag);
          if (r.ok) r = c->command("NOOP");  // learn the new EXISTS like a client would
          break;
        }
        case kExpunge: {
          // Mark the last message deleted and expunge it: the count stays level with APPEND.
          r = c->command("STORE " + std::to_string(n) + " +FLAGS.SILENT (\\Deleted)");
          if (r.ok) r = c->command("EXPUNGE");
          break;
        }
        case kIdle: {
          std::string tag = c->next_tag();
          c->send(tag + " IDLE\r\n");
          for (;;) {
            std::string line = c->read_line();
            if (!line.empty() && line[0] == '+') break;
            c->note_untagged(line);
            if (line.rfind(tag + " ", 0) == 0) throw std::runtime_error("IDLE refused: " + line);
          }
          c->send("DONE\r\n");
          r = c->read_reply(tag);
          break;
        }
      }
      if (r.ok)
        res.ops[op]++;
      else {
        res.errors++;
        if (res.first_error.empty()) res.first_error = std::string(kOpNames[op]) + ": " + r.status;
      }
    }
    c->command("LOGOUT");
  } catch (const std::exception& e) {
    res.errors++;
    if (res.first_error.empty()) res.first_error = e.what();
  }
}

int run_mix(const Options& o, SSL_CTX* ctx) {
  std::vector<MixResult> res(static_cast<size_t>(o.users));
  std::atomic<int> ready{0};
  std::atomic<int64_t> start_ns{0};
  std::vector<std::thread> ts;
  for (int i = 0; i < o.users; ++i)
    ts.emplace_back(
        [&, i] { mix_worker(o, ctx, i, start_ns, res[static_cast<size_t>(i)], ready); });
  // Logins and SELECTs are not measured: wait for all (at most 120 s on a busy machine).
  auto login_deadline = Clock::now() + std::chrono::seconds(120);
  while (ready.load() < o.users && Clock::now() < login_deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  // The runner samples the server's CPU time at these two marks.
  std::fprintf(stderr, "imap_load: start %d clients\n", ready.load());
  std::fflush(stderr);
  auto start = Clock::now();
  start_ns.store(start.time_since_epoch().count());
  for (auto& t : ts) t.join();
  double secs = std::chrono::duration<double>(Clock::now() - start).count();
  std::fprintf(stderr, "imap_load: end\n");
  std::fflush(stderr);
  long total = 0, errors = 0;
  long per[kNumOps] = {};
  std::string first_error;
  for (auto& r : res) {
    for (int k = 0; k < kNumOps; ++k) per[k] += r.ops[k], total += r.ops[k];
    errors += r.errors;
    if (first_error.empty()) first_error = r.first_error;
  }
  std::printf(
      "{\"mode\":\"mix\",\"clients\":%d,\"seconds\":%.3f,\"total_ops\":%ld,"
      "\"ops_per_s\":%.1f,\"errors\":%ld,\"first_error\":\"%s\",\"ops\":{",
      o.users, secs, total, total / secs, errors, json_escape(first_error).c_str());
  for (int k = 0; k < kNumOps; ++k) std::printf("%s\"%s\":%ld", k ? "," : "", kOpNames[k], per[k]);
  std::printf("},\"per_s\":{");
  for (int k = 0; k < kNumOps; ++k)
    std::printf("%s\"%s\":%.1f", k ? "," : "", kOpNames[k], per[k] / secs);
  std::printf("}}\n");
  return errors ? 1 : 0;
}

// ---------------------------------------------------------------------------------------------
// login: TLS connect + LOGIN + LOGOUT pairs per second

int run_login(const Options& o, SSL_CTX* ctx) {
  std::atomic<long> pairs{0}, errors{0};
  std::mutex mu;
  std::string first_error;
  auto t0 = Clock::now();
  auto end =
      t0 + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.duration));
  std::vector<std::thread> ts;
  for (int t = 0; t < std::max(1, o.threads); ++t) {
    ts.emplace_back([&, t] {
      int i = t;
      while (Clock::now() < end) {
        try {
          Conn c(ctx, o);
          c.login(user_name(o, i % std::max(1, o.users)));
          c.command("LOGOUT");
          ++pairs;
        } catch (const std::exception& e) {
          ++errors;
          std::lock_guard lk(mu);
          if (first_error.empty()) first_error = e.what();
        }
        i += std::max(1, o.threads);
      }
    });
  }
  for (auto& th : ts) th.join();
  double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  std::printf(
      "{\"mode\":\"login\",\"threads\":%d,\"seconds\":%.3f,\"pairs\":%ld,"
      "\"pairs_per_s\":%.1f,\"errors\":%ld,\"first_error\":\"%s\"}\n",
      o.threads, secs, pairs.load(), pairs.load() / secs, errors.load(),
      json_escape(first_error).c_str());
  return errors ? 1 : 0;
}

// ---------------------------------------------------------------------------------------------
// idle: K connections logged in, INBOX selected, in IDLE; held until stdin closes.

int run_idle(const Options& o, SSL_CTX* ctx) {
  std::vector<std::unique_ptr<Conn>> conns(static_cast<size_t>(o.connections));
  std::atomic<int> next{0}, up{0}, errors{0};
  std::mutex mu;
  std::string first_error;
  auto t0 = Clock::now();
  std::vector<std::thread> ts;
  for (int t = 0; t < std::max(1, o.threads); ++t) {
    ts.emplace_back([&] {
      for (;;) {
        int k = next++;
        if (k >= o.connections) return;
        try {
          auto c = std::make_unique<Conn>(ctx, o);
          c->login(user_name(o, k % std::max(1, o.users)));
          if (!c->command("SELECT INBOX").ok) throw std::runtime_error("SELECT failed");
          c->send(c->next_tag() + " IDLE\r\n");
          for (;;) {
            std::string line = c->read_line();
            if (!line.empty() && line[0] == '+') break;
            if (line[0] != '*') throw std::runtime_error("IDLE: " + line);
          }
          conns[static_cast<size_t>(k)] = std::move(c);
          ++up;
        } catch (const std::exception& e) {
          ++errors;
          std::lock_guard lk(mu);
          if (first_error.empty()) first_error = e.what();
        }
      }
    });
  }
  for (auto& th : ts) th.join();
  double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  std::printf(
      "{\"mode\":\"idle\",\"requested\":%d,\"up\":%d,\"errors\":%d,\"seconds\":%.3f,"
      "\"first_error\":\"%s\"}\n",
      o.connections, up.load(), errors.load(), secs, json_escape(first_error).c_str());
  std::fflush(stdout);
  // Hold the connections until stdin reaches end of file (the runner measures meanwhile).
  char b[256];
  while (std::fread(b, 1, sizeof b, stdin) > 0) {
  }
  return errors ? 1 : 0;
}

// ---------------------------------------------------------------------------------------------
// search: UID SEARCH TEXT over one mailbox, time per search

int run_search(const Options& o, SSL_CTX* ctx) {
  Conn c(ctx, o);
  c.login(o.user.empty() ? user_name(o, 0) : o.user);
  if (!c.command("SELECT INBOX").ok) die("SELECT failed");
  std::mt19937_64 rng(o.seed);
  std::vector<double> ms;
  std::string out;
  long hits_total = 0;
  for (int i = 0; i < o.searches; ++i) {
    // A word from the vocabulary (matches many messages) or one that matches none: the
    // server must read every body either way.
    std::string word =
        (i % 2) ? std::string(kWords[rng() % kNumWords]) : "xylophone" + std::to_string(i);
    auto t = Clock::now();
    Reply r = c.command("UID SEARCH TEXT \"" + word + "\"");
    ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t).count());
    if (!r.ok) die("SEARCH failed: " + r.status);
    for (auto& u : r.untagged)
      if (u.rfind("* SEARCH", 0) == 0) hits_total += std::count(u.begin(), u.end(), ' ') - 1;
  }
  std::vector<double> sorted = ms;
  std::sort(sorted.begin(), sorted.end());
  std::printf(
      "{\"mode\":\"search\",\"messages\":%ld,\"searches\":%d,\"median_ms\":%.2f,"
      "\"min_ms\":%.2f,\"max_ms\":%.2f,\"hits\":%ld,\"ms\":[",
      c.exists_, o.searches, sorted[sorted.size() / 2], sorted.front(), sorted.back(), hits_total);
  for (size_t i = 0; i < ms.size(); ++i) std::printf("%s%.2f", i ? "," : "", ms[i]);
  std::printf("]}\n");
  c.command("LOGOUT");
  return 0;
}

void usage() {
  std::fprintf(stderr,
               "usage: imap_load --mode fill|mix|login|idle|search [--host 127.0.0.1] --port N\n"
               "  [--ca FILE] [--users N] [--first-user N] [--user ADDR] [--prefix u]\n"
               "  [--domain bench.test] [--password P] [--messages N] [--threads N]\n"
               "  [--duration S] [--connections K] [--searches N] [--seed N]\n"
               "  [--weights kind=w,...] [--plain]\n");
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
    else if (a == "--ca")
      o.ca_file = val();
    else if (a == "--users")
      o.users = std::stoi(val());
    else if (a == "--first-user")
      o.first_user = std::stoi(val());
    else if (a == "--user")
      o.user = val();
    else if (a == "--prefix")
      o.user_prefix = val();
    else if (a == "--domain")
      o.domain = val();
    else if (a == "--password")
      o.password = val();
    else if (a == "--messages")
      o.messages = std::stoi(val());
    else if (a == "--threads")
      o.threads = std::stoi(val());
    else if (a == "--duration")
      o.duration = std::stod(val());
    else if (a == "--connections")
      o.connections = std::stoi(val());
    else if (a == "--searches")
      o.searches = std::stoi(val());
    else if (a == "--weights")
      o.weights = val();
    else if (a == "--plain")
      o.plain = true;
    else if (a == "--seed")
      o.seed = std::stoull(val());
    else
      usage();
  }
  // Room for many connections (idle mode).
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  std::signal(SIGPIPE, SIG_IGN);
  SSL_CTX* ctx = o.plain ? nullptr : make_ctx(o);
  int rc;
  if (o.mode == "fill")
    rc = run_fill(o, ctx);
  else if (o.mode == "mix")
    rc = run_mix(o, ctx);
  else if (o.mode == "login")
    rc = run_login(o, ctx);
  else if (o.mode == "idle")
    rc = run_idle(o, ctx);
  else if (o.mode == "search")
    rc = run_search(o, ctx);
  else
    usage();
  std::fflush(stdout);
  if (ctx) SSL_CTX_free(ctx);
  return rc;
}
