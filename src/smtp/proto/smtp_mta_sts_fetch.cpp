// smtp_mta_sts_fetch: MTA-STS fetch, cache and enforcement decisions (see the header).
#include "smtp/proto/smtp_mta_sts_fetch.hpp"

#include <cctype>
#include <charconv>

namespace estafeta::smtp {
namespace {

constexpr std::size_t kMaxHeader = 16 * 1024;

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

// Next line ending in LF (CR stripped); false at the end of `in`.
bool next_line(std::string_view& in, std::string_view& line) {
  const std::size_t nl = in.find('\n');
  if (nl == std::string_view::npos) return false;
  line = in.substr(0, nl);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  in.remove_prefix(nl + 1);
  return true;
}

}  // namespace

std::string sts_http_request(std::string_view domain) {
  return "GET /.well-known/mta-sts.txt HTTP/1.1\r\nHost: mta-sts." + std::string(domain) +
         "\r\nUser-Agent: Estafeta\r\nAccept: text/plain\r\nConnection: close\r\n\r\n";
}

std::optional<std::string> sts_http_body(std::string_view response, std::string& error) {
  const std::size_t end = response.find("\r\n\r\n");
  if (end == std::string_view::npos || end > kMaxHeader) {
    error = "no complete HTTP header";
    return std::nullopt;
  }
  std::string_view head = response.substr(0, end + 2);
  std::string_view body = response.substr(end + 4);
  std::string_view line;
  if (!next_line(head, line) || line.substr(0, 5) != "HTTP/" || line.size() < 12) {
    error = "not an HTTP response";
    return std::nullopt;
  }
  const std::string_view status = line.substr(line.find(' ') + 1, 3);
  if (status != "200") {  // §3.3: 3xx redirects are not followed; anything else fails
    error = "HTTP status " + std::string(status);
    return std::nullopt;
  }
  std::optional<std::size_t> length;
  bool chunked = false, text_plain = false;
  while (next_line(head, line)) {
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    const std::string_view name = trim(line.substr(0, colon)), value = trim(line.substr(colon + 1));
    if (iequals(name, "content-type")) {
      const std::string_view type = trim(value.substr(0, value.find(';')));
      text_plain = iequals(type, "text/plain");
    } else if (iequals(name, "content-length")) {
      std::size_t n = 0;
      auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
      if (ec != std::errc() || p != value.data() + value.size()) {
        error = "bad Content-Length";
        return std::nullopt;
      }
      length = n;
    } else if (iequals(name, "transfer-encoding")) {
      chunked = iequals(value, "chunked");
      if (!chunked) {
        error = "unsupported Transfer-Encoding";
        return std::nullopt;
      }
    }
  }
  if (!text_plain) {  // §3.3: the policy is served as text/plain
    error = "the policy is not text/plain";
    return std::nullopt;
  }
  std::string out;
  if (chunked) {
    for (;;) {
      std::string_view size_line;
      if (!next_line(body, size_line)) {
        error = "truncated chunked body";
        return std::nullopt;
      }
      size_line = trim(size_line.substr(0, size_line.find(';')));
      std::size_t n = 0;
      auto [p, ec] = std::from_chars(size_line.data(), size_line.data() + size_line.size(), n, 16);
      if (size_line.empty() || ec != std::errc() || p != size_line.data() + size_line.size()) {
        error = "bad chunk size";
        return std::nullopt;
      }
      if (n == 0) break;
      if (n > kMaxStsPolicy - out.size() || body.size() < n + 2) {
        error = n > kMaxStsPolicy - out.size() ? "policy larger than 64 KiB" : "truncated chunk";
        return std::nullopt;
      }
      out.append(body.substr(0, n));
      body.remove_prefix(n);
      if (body.substr(0, 2) != "\r\n") {
        error = "bad chunk end";
        return std::nullopt;
      }
      body.remove_prefix(2);
    }
    return out;
  }
  if (length) {
    if (*length > kMaxStsPolicy) {
      error = "policy larger than 64 KiB";
      return std::nullopt;
    }
    if (body.size() < *length) {
      error = "truncated body";
      return std::nullopt;
    }
    return std::string(body.substr(0, *length));
  }
  if (body.size() > kMaxStsPolicy) {  // ended by the connection's close
    error = "policy larger than 64 KiB";
    return std::nullopt;
  }
  return std::string(body);
}

bool sts_cache_valid(const StsCacheEntry& entry, std::int64_t now) {
  return entry.fetched_at + static_cast<std::int64_t>(entry.policy.max_age) > now;
}

bool sts_needs_fetch(const std::optional<StsCacheEntry>& cached,
                     const std::optional<StsRecord>& record, std::int64_t now) {
  if (!cached) return record.has_value();
  if (!record) return !sts_cache_valid(*cached, now);  // keep a valid policy (§5.1)
  return record->id != cached->id || !sts_cache_valid(*cached, now);
}

std::string encode_sts_cache(const StsCacheEntry& e) {
  return "estafeta-mta-sts 1\ndomain " + e.domain + "\nid " + e.id + "\nfetched-at " +
         std::to_string(e.fetched_at) + "\n\n" + e.text;
}

std::optional<StsCacheEntry> parse_sts_cache(std::string_view text) {
  if (text.size() > kMaxStsPolicy + 1024) return std::nullopt;
  std::string_view line;
  if (!next_line(text, line) || line != "estafeta-mta-sts 1") return std::nullopt;
  StsCacheEntry e;
  bool have_fetched = false;
  while (next_line(text, line) && !line.empty()) {
    const std::size_t sp = line.find(' ');
    if (sp == std::string_view::npos) return std::nullopt;
    const std::string_view key = line.substr(0, sp), value = line.substr(sp + 1);
    if (key == "domain") {
      e.domain = std::string(value);
    } else if (key == "id") {
      e.id = std::string(value);
    } else if (key == "fetched-at") {
      auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), e.fetched_at);
      if (ec != std::errc() || p != value.data() + value.size()) return std::nullopt;
      have_fetched = true;
    } else {
      return std::nullopt;
    }
  }
  if (e.domain.empty() || e.id.empty() || !have_fetched) return std::nullopt;
  std::string error;
  auto policy = parse_sts_policy(text, error);
  if (!policy) return std::nullopt;
  e.text = std::string(text);
  e.policy = std::move(*policy);
  return e;
}

StsVerdict sts_check_host(const StsPolicy& policy, std::string_view mx_host) {
  if (policy.mode == StsPolicy::Mode::none || sts_mx_allowed(policy, mx_host))
    return StsVerdict::deliver;
  return policy.mode == StsPolicy::Mode::enforce ? StsVerdict::refuse : StsVerdict::deliver_failure;
}

StsVerdict sts_check_tls(const StsPolicy& policy, std::string_view mx_host, bool tls_verified) {
  const StsVerdict host = sts_check_host(policy, mx_host);
  if (host != StsVerdict::deliver || policy.mode == StsPolicy::Mode::none || tls_verified)
    return host;
  return policy.mode == StsPolicy::Mode::enforce ? StsVerdict::refuse : StsVerdict::deliver_failure;
}

}  // namespace estafeta::smtp
