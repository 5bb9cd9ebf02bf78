// smtp_mta_sts: MTA-STS record and policy parsing and MX matching (see the header).
#include "smtp/proto/smtp_mta_sts.hpp"

#include <cctype>

namespace estafeta::smtp {
namespace {

bool is_wsp(char c) {
  return c == ' ' || c == '\t';
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_wsp(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_wsp(s.back())) s.remove_suffix(1);
  return s;
}

bool is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

// A host name as a policy's mx may carry it: labels of letters, digits, '-' (and a leading
// "*." wildcard label), at most 253 octets, no empty label.
bool is_pattern(std::string_view p) {
  if (p.size() > 253 || p.empty()) return false;
  if (p.substr(0, 2) == "*.") p.remove_prefix(2);
  if (p.empty()) return false;
  std::size_t label = 0;
  for (char c : p) {
    if (c == '.') {
      if (label == 0) return false;
      label = 0;
    } else if (is_alnum(c) || c == '-' || c == '_') {
      if (++label > 63) return false;
    } else {
      return false;
    }
  }
  return label != 0;
}

std::string_view strip_dot(std::string_view s) {
  if (!s.empty() && s.back() == '.') s.remove_suffix(1);
  return s;
}

bool iequal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

}  // namespace

std::optional<StsRecord> parse_sts_record(std::string_view txt) {
  // sts-text-record = sts-version 1*(sts-sep sts-field) [sts-sep]; sts-version first.
  std::optional<StsRecord> out;
  bool first = true;
  bool have_id = false;
  StsRecord r;
  while (true) {
    const std::size_t semi = txt.find(';');
    std::string_view field = trim(txt.substr(0, semi));
    if (first) {
      if (field != "v=STSv1") return std::nullopt;
      first = false;
    } else if (!field.empty()) {
      const std::size_t eq = field.find('=');
      if (eq == std::string_view::npos || eq == 0) return std::nullopt;
      std::string_view key = field.substr(0, eq), value = field.substr(eq + 1);
      if (key == "id") {
        if (have_id || value.empty() || value.size() > 32) return std::nullopt;
        for (char c : value)
          if (!is_alnum(c)) return std::nullopt;
        r.id = std::string(value);
        have_id = true;
      }  // other fields: ignored (§3.1 "sts-ext")
    }
    if (semi == std::string_view::npos) break;
    txt.remove_prefix(semi + 1);
  }
  if (!have_id) return std::nullopt;
  out = std::move(r);
  return out;
}

std::optional<StsRecord> select_sts_record(const std::vector<std::string>& txts) {
  std::optional<StsRecord> found;
  std::size_t candidates = 0;
  for (const auto& t : txts) {
    if (std::string_view(t).substr(0, 7) != "v=STSv1") continue;
    ++candidates;
    found = parse_sts_record(t);
  }
  if (candidates != 1) return std::nullopt;  // §3.1: several records = no policy
  return found;
}

std::string_view sts_mode_name(StsPolicy::Mode m) {
  switch (m) {
    case StsPolicy::Mode::enforce:
      return "enforce";
    case StsPolicy::Mode::testing:
      return "testing";
    case StsPolicy::Mode::none:
      break;
  }
  return "none";
}

std::optional<StsPolicy> parse_sts_policy(std::string_view text, std::string& error) {
  if (text.size() > kMaxStsPolicy) {
    error = "policy larger than 64 KiB";
    return std::nullopt;
  }
  StsPolicy p;
  bool have_version = false, have_mode = false, have_age = false;
  while (!text.empty()) {
    std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (trim(line).empty()) continue;
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
      error = "a line without ':'";
      return std::nullopt;
    }
    std::string_view key = trim(line.substr(0, colon)), value = trim(line.substr(colon + 1));
    if (key == "version") {
      if (have_version || value != "STSv1") {
        error = "version is not STSv1 (or repeated)";
        return std::nullopt;
      }
      have_version = true;
    } else if (key == "mode") {
      if (have_mode) {
        error = "mode repeated";
        return std::nullopt;
      }
      if (value == "enforce") {
        p.mode = StsPolicy::Mode::enforce;
      } else if (value == "testing") {
        p.mode = StsPolicy::Mode::testing;
      } else if (value == "none") {
        p.mode = StsPolicy::Mode::none;
      } else {
        error = "unknown mode";
        return std::nullopt;
      }
      have_mode = true;
    } else if (key == "max_age") {
      // §3.2: 1*10DIGIT, at most 31557600.
      if (have_age || value.empty() || value.size() > 10) {
        error = "bad max_age";
        return std::nullopt;
      }
      std::uint64_t v = 0;
      for (char c : value) {
        if (c < '0' || c > '9') {
          error = "bad max_age";
          return std::nullopt;
        }
        v = v * 10 + static_cast<std::uint64_t>(c - '0');
      }
      if (v > kMaxStsMaxAge) {
        error = "max_age over one year";
        return std::nullopt;
      }
      p.max_age = static_cast<std::uint32_t>(v);
      have_age = true;
    } else if (key == "mx") {
      std::string_view pat = strip_dot(value);
      if (!is_pattern(pat)) {
        error = "bad mx pattern";
        return std::nullopt;
      }
      if (p.mx.size() >= kMaxStsPatterns) {
        error = "too many mx patterns";
        return std::nullopt;
      }
      p.mx.push_back(lower(pat));
    }  // unknown keys: ignored (§3.2)
  }
  if (!have_version || !have_mode || !have_age) {
    error = "version, mode and max_age are required";
    return std::nullopt;
  }
  if (p.mode != StsPolicy::Mode::none && p.mx.empty()) {
    error = "no mx pattern";
    return std::nullopt;
  }
  return p;
}

bool sts_mx_matches(std::string_view pattern, std::string_view host) {
  pattern = strip_dot(pattern);
  host = strip_dot(host);
  if (pattern.substr(0, 2) == "*.") {
    // §4.1: the wildcard stands for exactly one leftmost label.
    const std::size_t dot = host.find('.');
    if (dot == std::string_view::npos || dot == 0) return false;
    return iequal(host.substr(dot + 1), pattern.substr(2));
  }
  return !pattern.empty() && iequal(pattern, host);
}

bool sts_mx_allowed(const StsPolicy& policy, std::string_view host) {
  for (const auto& p : policy.mx)
    if (sts_mx_matches(p, host)) return true;
  return false;
}

}  // namespace estafeta::smtp
