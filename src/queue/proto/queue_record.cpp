// queue_record: encoder and parser of spool records and trailers (see the header). The
// parser reads line by line, splits on single spaces and unescapes each value; an unknown
// key is an error (a record is ours or it is damaged), and "rcpt"/"target" lines must come
// in order (a target belongs to the rcpt line above it).
#include "queue/proto/queue_record.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cstring>

namespace estafeta::queue {
namespace {

constexpr std::string_view kMagic = "ESTSPOOL";
constexpr std::string_view kEnd = "END\n";
constexpr std::string_view kVersion = "estafeta-spool 1";

void put_u64(char* p, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<char>((v >> (8 * i)) & 0xff);
}
void put_u32(char* p, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<char>((v >> (8 * i)) & 0xff);
}
std::uint64_t get_u64(const char* p) {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}
std::uint32_t get_u32(const char* p) {
  std::uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

bool needs_escape(unsigned char c) {
  return c <= 0x20 || c >= 0x7f || c == '%' || c == '~';
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

template <class T>
bool parse_number(std::string_view s, T& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

std::optional<RcptState> parse_state(std::string_view s) {
  if (s == "pending") return RcptState::pending;
  if (s == "delivered") return RcptState::delivered;
  if (s == "deferred") return RcptState::deferred;
  if (s == "failed") return RcptState::failed;
  return std::nullopt;
}

// Splits a line into space-separated fields, at most `max` (more is an error).
bool split(std::string_view line, std::vector<std::string_view>& out, std::size_t max) {
  out.clear();
  while (!line.empty()) {
    if (out.size() == max) return false;
    std::size_t sp = line.find(' ');
    out.push_back(line.substr(0, sp));
    if (sp == std::string_view::npos) break;
    line.remove_prefix(sp + 1);
  }
  return true;
}

}  // namespace

std::string_view state_name(RcptState s) {
  switch (s) {
    case RcptState::pending:
      return "pending";
    case RcptState::delivered:
      return "delivered";
    case RcptState::deferred:
      return "deferred";
    case RcptState::failed:
      return "failed";
  }
  return "?";
}

bool SpoolEnvelope::finished() const {
  for (const auto& r : recipients)
    if (r.state == RcptState::pending || r.state == RcptState::deferred) return false;
  return true;
}

std::string escape_value(std::string_view v) {
  if (v.empty()) return "~";
  std::string out;
  out.reserve(v.size());
  for (unsigned char c : v) {
    if (needs_escape(c)) {
      out += fmt::format("%{:02X}", c);
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

std::optional<std::string> unescape_value(std::string_view v) {
  if (v == "~") return std::string();
  if (v.empty()) return std::nullopt;
  std::string out;
  out.reserve(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(v[i]);
    if (c == '%') {
      if (i + 2 >= v.size()) return std::nullopt;
      int hi = hex_value(v[i + 1]), lo = hex_value(v[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (needs_escape(c)) {
      return std::nullopt;  // a raw octet that should have been escaped
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

std::string encode_record(const SpoolEnvelope& e) {
  auto esc = escape_value;
  std::string out;
  out += kVersion;
  out += '\n';
  out += fmt::format("id {}\n", esc(e.id));
  out += fmt::format("from {}\n", esc(e.mail_from));
  out += fmt::format("helo {}\n", esc(e.helo));
  out += fmt::format("peer {}\n", esc(e.peer_ip));
  out += fmt::format("auth {}\n", esc(e.auth_user));
  out += fmt::format("dsn {} {}\n", esc(e.ret), esc(e.envid));
  out += fmt::format("body {}\n", esc(e.body));
  out += fmt::format("smtputf8 {}\n", e.smtputf8 ? 1 : 0);
  // Written only when set, so records without it stay byte-identical to older ones and an
  // older reader never meets an unknown key for ordinary mail.
  if (e.requiretls) out += "requiretls 1\n";
  out += fmt::format("received-at {}\n", e.received_at);
  out += fmt::format("received {}\n", esc(e.received));
  out += fmt::format("maildir-name {}\n", esc(e.maildir_name));
  out += fmt::format("data-length {}\n", e.data_length);
  out += fmt::format("data-crc {:08x}\n", e.data_crc);
  for (const auto& r : e.recipients) {
    out += fmt::format("rcpt {} {} {} {} {} {} {}\n", state_name(r.state), r.attempts,
                       r.next_attempt, esc(r.address), esc(r.notify), esc(r.orcpt), esc(r.reason));
    for (const auto& t : r.local)
      out += fmt::format("target {} {} {} {}\n", esc(t.user), esc(t.maildir), esc(t.folder),
                         esc(t.address));
    if (r.reply_lost || r.delay_notified || r.remote_reply || !r.remote_host.empty()) {
      std::string flags;
      auto add = [&](bool on, std::string_view f) {
        if (!on) return;
        if (!flags.empty()) flags += ',';
        flags += f;
      };
      add(r.reply_lost, "lost");
      add(r.delay_notified, "delayed");
      add(r.remote_reply, "server");
      out += fmt::format("remote {} {}\n", esc(flags), esc(r.remote_host));
    }
    if (!r.sender.empty()) out += fmt::format("sender {}\n", esc(r.sender));
    if (!r.via.empty()) out += fmt::format("via {}\n", esc(r.via));
  }
  out += "end\n";
  return out;
}

std::optional<SpoolEnvelope> parse_record(std::string_view text, std::string& error) {
  SpoolEnvelope e;
  if (text.size() > kMaxRecord) {
    error = "record too large";
    return std::nullopt;
  }
  std::vector<std::string_view> f;
  std::size_t line_no = 0;
  bool ended = false;
  auto fail = [&](std::string_view why) {
    error = fmt::format("line {}: {}", line_no, why);
    return std::nullopt;
  };
  while (!text.empty()) {
    std::size_t nl = text.find('\n');
    if (nl == std::string_view::npos) return fail("unterminated line");
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl + 1);
    ++line_no;
    if (ended) return fail("data after end");
    if (line_no == 1) {
      if (line != kVersion) return fail("not a version 1 spool record");
      continue;
    }
    if (!split(line, f, 8) || f.empty()) return fail("too many fields");
    std::string_view key = f[0];
    std::vector<std::string> v;
    for (std::size_t i = 1; i < f.size(); ++i) {
      auto u = unescape_value(f[i]);
      if (!u) return fail("bad escape");
      v.push_back(std::move(*u));
    }
    auto want = [&](std::size_t n) { return v.size() == n; };
    if (key == "end" && want(0)) {
      ended = true;
    } else if (key == "id" && want(1)) {
      e.id = v[0];
    } else if (key == "from" && want(1)) {
      e.mail_from = v[0];
    } else if (key == "helo" && want(1)) {
      e.helo = v[0];
    } else if (key == "peer" && want(1)) {
      e.peer_ip = v[0];
    } else if (key == "auth" && want(1)) {
      e.auth_user = v[0];
    } else if (key == "dsn" && want(2)) {
      e.ret = v[0];
      e.envid = v[1];
    } else if (key == "body" && want(1)) {
      e.body = v[0];
    } else if (key == "smtputf8" && want(1) && (v[0] == "0" || v[0] == "1")) {
      e.smtputf8 = v[0] == "1";
    } else if (key == "requiretls" && want(1) && (v[0] == "0" || v[0] == "1")) {
      e.requiretls = v[0] == "1";
    } else if (key == "received-at" && want(1)) {
      if (!parse_number(v[0], e.received_at)) return fail("bad received-at");
    } else if (key == "received" && want(1)) {
      e.received = v[0];
    } else if (key == "maildir-name" && want(1)) {
      e.maildir_name = v[0];
    } else if (key == "data-length" && want(1)) {
      if (!parse_number(v[0], e.data_length)) return fail("bad data-length");
    } else if (key == "data-crc" && want(1) && v[0].size() == 8) {
      auto [p, ec] = std::from_chars(v[0].data(), v[0].data() + 8, e.data_crc, 16);
      if (ec != std::errc() || p != v[0].data() + 8) return fail("bad data-crc");
    } else if (key == "rcpt" && want(7)) {
      SpoolRecipient r;
      auto st = parse_state(v[0]);
      if (!st) return fail("bad recipient state");
      r.state = *st;
      if (!parse_number(v[1], r.attempts) || !parse_number(v[2], r.next_attempt))
        return fail("bad recipient numbers");
      r.address = v[3];
      r.notify = v[4];
      r.orcpt = v[5];
      r.reason = v[6];
      e.recipients.push_back(std::move(r));
    } else if (key == "target" && want(4)) {
      if (e.recipients.empty()) return fail("target before rcpt");
      e.recipients.back().local.push_back(LocalTarget{v[0], v[1], v[2], v[3]});
    } else if (key == "remote" && want(2)) {
      if (e.recipients.empty()) return fail("remote before rcpt");
      SpoolRecipient& r = e.recipients.back();
      std::string_view flags = v[0];
      while (!flags.empty()) {
        std::size_t comma = flags.find(',');
        std::string_view f = flags.substr(0, comma);
        if (f == "lost") {
          r.reply_lost = true;
        } else if (f == "delayed") {
          r.delay_notified = true;
        } else if (f == "server") {
          r.remote_reply = true;
        } else {
          return fail("bad remote flag");
        }
        if (comma == std::string_view::npos) break;
        flags.remove_prefix(comma + 1);
      }
      r.remote_host = v[1];
    } else if (key == "sender" && want(1)) {
      if (e.recipients.empty()) return fail("sender before rcpt");
      e.recipients.back().sender = v[0];
    } else if (key == "via" && want(1)) {
      if (e.recipients.empty()) return fail("via before rcpt");
      e.recipients.back().via = v[0];
    } else {
      return fail(fmt::format("unknown or malformed field \"{}\"", key.substr(0, 32)));
    }
  }
  if (!ended) {
    error = "record has no end line";
    return std::nullopt;
  }
  if (e.id.empty()) {
    error = "record has no id";
    return std::nullopt;
  }
  return e;
}

std::array<char, kTrailerSize> encode_trailer(const Trailer& t) {
  std::array<char, kTrailerSize> out{};
  std::memcpy(out.data(), kMagic.data(), 8);
  put_u64(out.data() + 8, t.record_offset);
  put_u32(out.data() + 16, t.record_length);
  put_u64(out.data() + 20, t.mac);
  std::memcpy(out.data() + 28, kEnd.data(), 4);
  return out;
}

std::optional<Trailer> parse_trailer(std::string_view b) {
  if (b.size() != kTrailerSize || b.substr(0, 8) != kMagic || b.substr(28, 4) != kEnd)
    return std::nullopt;
  Trailer t;
  t.record_offset = get_u64(b.data() + 8);
  t.record_length = get_u32(b.data() + 16);
  t.mac = get_u64(b.data() + 20);
  if (t.record_length > kMaxRecord) return std::nullopt;
  return t;
}

std::uint32_t crc32(std::string_view bytes, std::uint32_t crc) {
  static const auto table = [] {
    std::array<std::uint32_t, 256> t{};
    for (std::uint32_t i = 0; i < 256; ++i) {
      std::uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  std::uint32_t c = crc ^ 0xFFFFFFFFu;
  for (unsigned char b : bytes) c = table[(c ^ b) & 0xff] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

namespace {

std::uint64_t rotl(std::uint64_t x, int b) {
  return (x << b) | (x >> (64 - b));
}

void sip_round(std::uint64_t& v0, std::uint64_t& v1, std::uint64_t& v2, std::uint64_t& v3) {
  v0 += v1;
  v1 = rotl(v1, 13);
  v1 ^= v0;
  v0 = rotl(v0, 32);
  v2 += v3;
  v3 = rotl(v3, 16);
  v3 ^= v2;
  v0 += v3;
  v3 = rotl(v3, 21);
  v3 ^= v0;
  v2 += v1;
  v1 = rotl(v1, 17);
  v1 ^= v2;
  v2 = rotl(v2, 32);
}

std::uint64_t load_le64(const unsigned char* p) {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

}  // namespace

std::uint64_t siphash24(const SpoolKey& key, std::string_view bytes) {
  const std::uint64_t k0 = load_le64(key.data()), k1 = load_le64(key.data() + 8);
  std::uint64_t v0 = 0x736f6d6570736575ULL ^ k0, v1 = 0x646f72616e646f6dULL ^ k1;
  std::uint64_t v2 = 0x6c7967656e657261ULL ^ k0, v3 = 0x7465646279746573ULL ^ k1;
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const std::size_t n = bytes.size();
  const std::size_t whole = n - n % 8;
  for (std::size_t i = 0; i < whole; i += 8) {
    std::uint64_t m = load_le64(p + i);
    v3 ^= m;
    sip_round(v0, v1, v2, v3);
    sip_round(v0, v1, v2, v3);
    v0 ^= m;
  }
  std::uint64_t last = static_cast<std::uint64_t>(n & 0xff) << 56;
  for (std::size_t i = 0; i < n % 8; ++i)
    last |= static_cast<std::uint64_t>(p[whole + i]) << (8 * i);
  v3 ^= last;
  sip_round(v0, v1, v2, v3);
  sip_round(v0, v1, v2, v3);
  v0 ^= last;
  v2 ^= 0xff;
  for (int i = 0; i < 4; ++i) sip_round(v0, v1, v2, v3);
  return v0 ^ v1 ^ v2 ^ v3;
}

}  // namespace estafeta::queue
