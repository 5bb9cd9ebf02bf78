// mime_charset: charset names -> iconv names, UTF-8 validation and repair, Windows-1252 by
// table, and everything else through glibc iconv with a per-thread descriptor cache.
// Input is untrusted: names are bounded (longer than kMaxNameLength is "unknown"), and the
// conversion loop always consumes input or stops, so it terminates.
#include "mime/mime_charset.hpp"

#include <iconv.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>

namespace estafeta::mime {
namespace {

constexpr std::size_t kMaxNameLength = 64;
constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// Lower-cased name with quotes, whitespace and an RFC 2231 "*language" suffix removed.
std::string normalize_name(std::string_view name) {
  while (!name.empty() && (name.front() == ' ' || name.front() == '\t' || name.front() == '"' ||
                           name.front() == '\''))
    name.remove_prefix(1);
  while (!name.empty() &&
         (name.back() == ' ' || name.back() == '\t' || name.back() == '"' || name.back() == '\''))
    name.remove_suffix(1);
  if (auto star = name.find('*'); star != std::string_view::npos) name = name.substr(0, star);
  std::string out;
  if (name.size() > kMaxNameLength) return out;
  out.reserve(name.size());
  for (char c : name) out += (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
  return out;
}

struct Alias {
  std::string_view name;  // normalized
  std::string_view iconv;
};

// Aliases seen in real mail, mapped to what glibc iconv calls them, with supersets where
// senders are known to mislabel (the WHATWG Encoding Standard makes the same choices).
constexpr Alias kAliases[] = {
    {"utf-8", "UTF-8"},
    {"utf8", "UTF-8"},
    {"unicode-1-1-utf-8", "UTF-8"},
    {"x-unicode20utf8", "UTF-8"},
    {"us-ascii", "US-ASCII"},
    {"ascii", "US-ASCII"},
    {"ansi_x3.4-1968", "US-ASCII"},
    {"iso646-us", "US-ASCII"},
    {"us", "US-ASCII"},
    {"cp367", "US-ASCII"},
    {"ibm367", "US-ASCII"},
    {"iso-8859-1", "WINDOWS-1252"},
    {"iso8859-1", "WINDOWS-1252"},
    {"iso_8859-1", "WINDOWS-1252"},
    {"iso_8859-1:1987", "WINDOWS-1252"},
    {"latin1", "WINDOWS-1252"},
    {"latin-1", "WINDOWS-1252"},
    {"l1", "WINDOWS-1252"},
    {"iso-ir-100", "WINDOWS-1252"},
    {"cp819", "WINDOWS-1252"},
    {"ibm819", "WINDOWS-1252"},
    {"csisolatin1", "WINDOWS-1252"},
    {"windows-1252", "WINDOWS-1252"},
    {"cp1252", "WINDOWS-1252"},
    {"x-cp1252", "WINDOWS-1252"},
    {"latin2", "ISO-8859-2"},
    {"l2", "ISO-8859-2"},
    {"latin3", "ISO-8859-3"},
    {"latin4", "ISO-8859-4"},
    {"cyrillic", "ISO-8859-5"},
    {"arabic", "ISO-8859-6"},
    {"iso-8859-6-i", "ISO-8859-6"},
    {"iso-8859-6-e", "ISO-8859-6"},
    {"greek", "ISO-8859-7"},
    {"hebrew", "ISO-8859-8"},
    {"iso-8859-8-i", "ISO-8859-8"},
    {"iso-8859-8-e", "ISO-8859-8"},
    {"visual", "ISO-8859-8"},
    {"latin5", "ISO-8859-9"},
    {"latin6", "ISO-8859-10"},
    {"tis-620", "ISO-8859-11"},
    {"thai", "ISO-8859-11"},
    {"latin7", "ISO-8859-13"},
    {"latin8", "ISO-8859-14"},
    {"latin9", "ISO-8859-15"},
    {"latin-9", "ISO-8859-15"},
    {"latin10", "ISO-8859-16"},
    {"koi8-r", "KOI8-R"},
    {"koi8r", "KOI8-R"},
    {"cskoi8r", "KOI8-R"},
    {"koi", "KOI8-R"},
    {"koi8", "KOI8-R"},
    {"koi8-u", "KOI8-U"},
    {"koi8-ru", "KOI8-RU"},
    {"gb2312", "GB18030"},
    {"gb_2312-80", "GB18030"},
    {"csgb2312", "GB18030"},
    {"euc-cn", "GB18030"},
    {"x-euc-cn", "GB18030"},
    {"chinese", "GB18030"},
    {"gbk", "GB18030"},
    {"x-gbk", "GB18030"},
    {"cp936", "GB18030"},
    {"ms936", "GB18030"},
    {"windows-936", "GB18030"},
    {"gb18030", "GB18030"},
    {"big5", "BIG5-HKSCS"},
    {"big-5", "BIG5-HKSCS"},
    {"cn-big5", "BIG5-HKSCS"},
    {"x-x-big5", "BIG5-HKSCS"},
    {"csbig5", "BIG5-HKSCS"},
    {"big5-hkscs", "BIG5-HKSCS"},
    {"cp950", "BIG5-HKSCS"},
    {"shift_jis", "CP932"},
    {"shift-jis", "CP932"},
    {"sjis", "CP932"},
    {"x-sjis", "CP932"},
    {"ms_kanji", "CP932"},
    {"csshiftjis", "CP932"},
    {"windows-31j", "CP932"},
    {"cp932", "CP932"},
    {"ms932", "CP932"},
    {"euc-jp", "EUC-JP"},
    {"x-euc-jp", "EUC-JP"},
    {"eucjp", "EUC-JP"},
    {"cseucpkdfmtjapanese", "EUC-JP"},
    {"iso-2022-jp", "ISO-2022-JP-2"},
    {"csiso2022jp", "ISO-2022-JP-2"},
    {"iso-2022-jp-2", "ISO-2022-JP-2"},
    {"euc-kr", "CP949"},
    {"euckr", "CP949"},
    {"cseuckr", "CP949"},
    {"ks_c_5601-1987", "CP949"},
    {"ks_c_5601-1989", "CP949"},
    {"ks_c_5601", "CP949"},
    {"ksc5601", "CP949"},
    {"ksc_5601", "CP949"},
    {"korean", "CP949"},
    {"iso-ir-149", "CP949"},
    {"csksc56011987", "CP949"},
    {"windows-949", "CP949"},
    {"cp949", "CP949"},
    {"uhc", "CP949"},
    {"iso-2022-kr", "ISO-2022-KR"},
    {"windows-874", "CP874"},
    {"cp874", "CP874"},
    {"macintosh", "MACINTOSH"},
    {"mac", "MACINTOSH"},
    {"x-mac-roman", "MACINTOSH"},
    {"utf-7", "UTF-7"},
    {"unicode-1-1-utf-7", "UTF-7"},
    {"utf-16", "UTF-16"},
    {"utf-16le", "UTF-16LE"},
    {"utf-16be", "UTF-16BE"},
    {"ucs-2", "UCS-2"},
    {"utf-32", "UTF-32"},
};

// Labels that mean "we don't know": never handed to iconv.
constexpr std::string_view kUnknownLabels[] = {
    "", "unknown", "unknown-8bit", "x-unknown", "default", "x-user-defined", "charset"};

// Windows-1252 0x80..0x9F (the rest of the table is Latin-1). Undefined bytes map to the C1
// control of the same value, as the WHATWG Encoding Standard does.
constexpr uint16_t kCp1252High[32] = {
    0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0x008D, 0x017D, 0x008F, 0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178};

void append_code_point(uint32_t cp, std::string& out) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// Length of the well-formed UTF-8 sequence at s[i], or 0 with `bad` set to the length of
// the maximal ill-formed subpart to replace (Unicode §3.9, table 3-7).
std::size_t utf8_sequence(const unsigned char* s, std::size_t n, std::size_t i, std::size_t& bad) {
  unsigned char c = s[i];
  std::size_t len;
  unsigned char lo = 0x80, hi = 0xBF;
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    bad = 1;
    return 0;
  }
  std::size_t k = 1;
  for (; k < len; ++k) {
    if (i + k >= n) break;
    unsigned char t = s[i + k];
    if (k == 1 ? (t < lo || t > hi) : (t < 0x80 || t > 0xBF)) break;
  }
  if (k == len) return len;
  bad = k;
  return 0;
}

// ---- iconv descriptor cache, one per thread ----

class IconvCache {
 public:
  IconvCache() = default;
  IconvCache(const IconvCache&) = delete;
  IconvCache& operator=(const IconvCache&) = delete;
  ~IconvCache() {
    for (auto& e : entries_)
      if (e.cd != invalid()) iconv_close(e.cd);
  }

  // A descriptor converting `from` to UTF-8, reset to its initial state; invalid() if iconv
  // does not know `from`. Failures are cached too, so a bad name costs one iconv_open.
  iconv_t get(const std::string& from) {
    ++clock_;
    Entry* victim = &entries_[0];
    for (auto& e : entries_) {
      if (e.used != 0 && e.name == from) {
        e.used = clock_;
        if (e.cd != invalid()) iconv(e.cd, nullptr, nullptr, nullptr, nullptr);
        return e.cd;
      }
      if (e.used < victim->used) victim = &e;
    }
    if (victim->used != 0 && victim->cd != invalid()) iconv_close(victim->cd);
    victim->name = from;
    victim->cd = iconv_open("UTF-8", from.c_str());
    victim->used = clock_;
    return victim->cd;
  }

  // iconv_open's failure value is (iconv_t)-1 by its API.
  static iconv_t invalid() { return reinterpret_cast<iconv_t>(-1); }  // NOLINT

 private:
  struct Entry {
    std::string name;
    iconv_t cd = invalid();
    uint64_t used = 0;  // 0 = empty
  };
  std::array<Entry, kIconvCacheSize> entries_{};
  uint64_t clock_ = 0;
};

IconvCache& cache() {
  thread_local IconvCache c;
  return c;
}

// Converts with iconv; U+FFFD for each invalid or truncated sequence. Returns false if any
// replacement was needed.
bool iconv_convert(iconv_t cd, std::string_view in, std::string& out) {
  bool clean = true;
  auto* src = const_cast<char*>(in.data());  // iconv's historical signature; not written
  std::size_t src_left = in.size();
  const std::size_t before = out.size();
  std::size_t used = before;
  out.resize(before + in.size() * 2 + 16);
  for (;;) {
    char* dst = out.data() + used;
    std::size_t dst_left = out.size() - used;
    std::size_t r = src_left == 0 ? iconv(cd, nullptr, nullptr, &dst, &dst_left)  // flush state
                                  : iconv(cd, &src, &src_left, &dst, &dst_left);
    used = static_cast<std::size_t>(dst - out.data());
    if (r != static_cast<std::size_t>(-1)) {
      if (src_left == 0) {
        // Flush a stateful encoding's shift back to the initial state (nothing for UTF-8).
        char* d2 = out.data() + used;
        std::size_t l2 = out.size() - used;
        if (iconv(cd, nullptr, nullptr, &d2, &l2) != static_cast<std::size_t>(-1))
          used = static_cast<std::size_t>(d2 - out.data());
        break;
      }
      continue;
    }
    if (errno == E2BIG) {
      out.resize(out.size() * 2 + 16);
      continue;
    }
    // EILSEQ (invalid) or EINVAL (truncated at the end): replace one byte and go on.
    clean = false;
    if (out.size() - used < kReplacement.size()) out.resize(out.size() * 2 + 16);
    std::memcpy(out.data() + used, kReplacement.data(), kReplacement.size());
    used += kReplacement.size();
    if (src_left == 0) break;
    ++src;
    --src_left;
    if (errno == EINVAL) {
      // Truncated multi-byte sequence at the end: one replacement for all of it.
      break;
    }
    if (src_left == 0) break;
  }
  out.resize(used);
  return clean;
}

bool is_unknown_label(const std::string& n) {
  for (auto u : kUnknownLabels)
    if (n == u) return true;
  return false;
}

std::string uppercase(std::string s) {
  for (auto& c : s)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
  return s;
}

// iconv name for a normalized label, without the "does iconv know it" check.
std::string table_name(const std::string& n) {
  for (const auto& a : kAliases)
    if (a.name == n) return std::string(a.iconv);
  // Systematic families: iso-8859-N / iso8859-N / iso_8859-N, windows-125N / cp125N.
  for (std::string_view prefix : {"iso-8859-", "iso8859-", "iso_8859-", "8859-"}) {
    if (n.size() > prefix.size() && n.compare(0, prefix.size(), prefix) == 0) {
      std::string num = n.substr(prefix.size());
      if (auto colon = num.find(':'); colon != std::string::npos) num.resize(colon);
      if (num == "1") return "WINDOWS-1252";
      return "ISO-8859-" + num;
    }
  }
  for (std::string_view prefix : {"windows-", "cp", "x-cp", "win"}) {
    if (n.size() == prefix.size() + 4 && n.compare(0, prefix.size(), prefix) == 0 &&
        n.compare(prefix.size(), 3, "125") == 0)
      return "CP" + n.substr(prefix.size());
  }
  return uppercase(n);
}

}  // namespace

std::string charset_iconv_name(std::string_view charset) {
  std::string n = normalize_name(charset);
  if (is_unknown_label(n)) return {};
  for (char c : n) {
    // iconv names are ASCII letters, digits and a few punctuation marks; anything else
    // (including '/' which would select iconv options) is not a charset.
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
              c == '.' || c == ':' || c == '+';
    if (!ok) return {};
  }
  std::string name = table_name(n);
  if (name == "UTF-8" || name == "US-ASCII" || name == "WINDOWS-1252") return name;
  if (cache().get(name) == IconvCache::invalid()) return {};
  return name;
}

bool charset_is_utf8_compatible(std::string_view charset) {
  std::string n = charset_iconv_name(charset);
  return n == "UTF-8" || n == "US-ASCII";
}

CharsetOutcome convert_to_utf8(std::string_view charset, std::string_view in, std::string& out) {
  std::string name = charset_iconv_name(charset);
  if (name.empty()) {
    // Unknown: UTF-8 if it is, else the most common 8-bit charset of the western web.
    if (is_valid_utf8(in)) {
      out.append(in);
      return CharsetOutcome::unknown_utf8;
    }
    append_windows1252_as_utf8(in, out);
    return CharsetOutcome::unknown_latin1;
  }
  if (name == "UTF-8")
    return append_utf8_sanitized(in, out) ? CharsetOutcome::exact : CharsetOutcome::replaced;
  if (name == "US-ASCII") {
    // 8-bit text labelled ASCII is almost always UTF-8 or Windows-1252 in practice.
    if (is_valid_utf8(in)) {
      out.append(in);
      return CharsetOutcome::exact;
    }
    append_windows1252_as_utf8(in, out);
    return CharsetOutcome::replaced;
  }
  if (name == "WINDOWS-1252") {
    append_windows1252_as_utf8(in, out);
    return CharsetOutcome::exact;
  }
  iconv_t cd = cache().get(name);
  if (cd == IconvCache::invalid()) {  // cannot happen after charset_iconv_name; stay safe
    append_windows1252_as_utf8(in, out);
    return CharsetOutcome::unknown_latin1;
  }
  return iconv_convert(cd, in, out) ? CharsetOutcome::exact : CharsetOutcome::replaced;
}

std::string to_utf8(std::string_view charset, std::string_view in) {
  std::string out;
  convert_to_utf8(charset, in, out);
  return out;
}

bool is_valid_utf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const std::size_t n = s.size();
  std::size_t i = 0;
  while (i < n) {
    // ASCII fast path, 8 bytes at a time.
    while (i + 8 <= n) {
      uint64_t w;
      std::memcpy(&w, p + i, 8);
      if (w & 0x8080808080808080ULL) break;
      i += 8;
    }
    if (i >= n) break;
    std::size_t bad = 0;
    std::size_t len = utf8_sequence(p, n, i, bad);
    if (len == 0) return false;
    i += len;
  }
  return true;
}

bool append_utf8_sanitized(std::string_view in, std::string& out) {
  const auto* p = reinterpret_cast<const unsigned char*>(in.data());
  const std::size_t n = in.size();
  std::size_t i = 0;
  std::size_t run = 0;  // start of the pending valid run
  bool clean = true;
  out.reserve(out.size() + n);
  while (i < n) {
    if (p[i] < 0x80) {
      ++i;
      continue;
    }
    std::size_t bad = 0;
    std::size_t len = utf8_sequence(p, n, i, bad);
    if (len != 0) {
      i += len;
      continue;
    }
    out.append(in.data() + run, i - run);
    out.append(kReplacement);
    clean = false;
    i += bad;
    run = i;
  }
  out.append(in.data() + run, n - run);
  return clean;
}

void append_windows1252_as_utf8(std::string_view in, std::string& out) {
  out.reserve(out.size() + in.size() + in.size() / 4);
  for (char ch : in) {
    auto c = static_cast<unsigned char>(ch);
    if (c < 0x80)
      out += ch;
    else if (c < 0xA0)
      append_code_point(kCp1252High[c - 0x80], out);
    else
      append_code_point(c, out);
  }
}

}  // namespace estafeta::mime
