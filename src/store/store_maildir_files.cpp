// store_maildir_files: see store_maildir_files.hpp.
#include "store/store_maildir_files.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <climits>
#include <fstream>
#include <random>
#include <sstream>

#include <fmt/format.h>

namespace estafeta::store {
namespace fs = std::filesystem;
namespace {

std::error_code last_error() {
  return {errno, std::generic_category()};
}

constexpr std::string_view kSystemLetters = "DFPRST";

const std::string kForwarded = "$Forwarded";

bool iequal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

std::string escaped_host() {
  char buf[HOST_NAME_MAX + 1] = {};
  std::string host = (::gethostname(buf, sizeof buf - 1) == 0 && buf[0]) ? buf : "localhost";
  std::string out;
  for (char c : host) {
    if (c == '/')
      out += "\\057";
    else if (c == ':')
      out += "\\072";
    else if (c == ',')
      out += "\\054";
    else
      out += c;
  }
  return out;
}

}  // namespace

FileName parse_file_name(std::string_view name) {
  FileName f;
  std::size_t colon = name.find(':');
  if (colon != std::string_view::npos) {
    f.base = std::string(name.substr(0, colon));
    std::string_view rest = name.substr(colon + 1);
    if (rest.size() >= 2 && rest.substr(0, 2) == "2,") {
      f.has_info = true;
      f.info = std::string(rest.substr(2));
    }
  } else {
    f.base = std::string(name);
  }
  std::string_view b = f.base;
  std::size_t comma = b.find(',');
  while (comma != std::string_view::npos) {
    std::size_t next = b.find(',', comma + 1);
    std::string_view field =
        b.substr(comma + 1, (next == std::string_view::npos ? b.size() : next) - comma - 1);
    if (field.size() > 2 && field[1] == '=') {
      std::string_view v = field.substr(2);
      bool digits = std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; });
      if (field[0] == 'U' && digits && v.size() <= 10) {
        std::uint64_t u = std::stoull(std::string(v));
        if (u > 0 && u <= 0xffffffffu) f.uid = static_cast<Uid>(u);
      } else if (field[0] == 'E' && v.size() <= 64) {
        f.email_id = std::string(v);
      } else if (field[0] == 'K' && v.size() <= 32) {
        f.key = std::string(v);
      } else if (field[0] == 'S' && digits && v.size() <= 19) {
        f.size = std::stoull(std::string(v));
      }
    }
    comma = next;
  }
  return f;
}

std::string make_base_name(std::string_view unique, Uid uid, std::string_view email_id,
                           std::uint64_t size, std::string_view key_hash) {
  if (key_hash.empty()) return fmt::format("{},U={},E={},S={}", unique, uid, email_id, size);
  return fmt::format("{},U={},E={},K={},S={}", unique, uid, email_id, key_hash, size);
}

std::string delivery_key_hash(std::string_view key) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : key) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return fmt::format("{:016x}", h);
}

std::string rebase_name(const FileName& f, Uid uid, std::string_view email_id) {
  std::string_view b = f.base;
  std::size_t comma = b.find(',');
  std::string out(b.substr(0, comma));
  out += fmt::format(",U={},E={}", uid, email_id);
  while (comma != std::string_view::npos) {
    std::size_t next = b.find(',', comma + 1);
    std::string_view field =
        b.substr(comma + 1, (next == std::string_view::npos ? b.size() : next) - comma - 1);
    if (!(field.size() >= 2 && field[1] == '=' && (field[0] == 'U' || field[0] == 'E'))) {
      out += ',';
      out += field;
    }
    comma = next;
  }
  return out;
}

// The process id, asked once (and again in a child after fork), not once per message.
static std::atomic<pid_t> g_pid{0};

static pid_t current_pid() {
  pid_t pid = g_pid.load(std::memory_order_relaxed);
  if (pid == 0) {
    static const int registered =
        ::pthread_atfork(nullptr, nullptr, [] { g_pid.store(0, std::memory_order_relaxed); });
    (void)registered;
    pid = ::getpid();
    g_pid.store(pid, std::memory_order_relaxed);
  }
  return pid;
}

std::string unique_name() {
  static const std::string host = escaped_host();
  static std::atomic<std::uint64_t> counter{0};
  struct timeval tv {};
  ::gettimeofday(&tv, nullptr);
  return fmt::format("{}.M{}P{}Q{}.{}", tv.tv_sec, tv.tv_usec, current_pid(), ++counter, host);
}

std::string new_email_id() {
  static std::atomic<std::uint64_t> counter{0};
  static const std::uint64_t seed = [] {
    std::random_device rd;
    return (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
  }();
  // splitmix64 of seed + counter: distinct for every call of this process, unpredictable
  // across processes.
  std::uint64_t z = seed + 0x9e3779b97f4a7c15ULL * (++counter);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  z ^= z >> 31;
  return fmt::format("M{:016x}", z);
}

Flags flags_from_info(std::string_view info, const std::vector<std::string>& letters) {
  Flags f;
  for (char c : info) {
    switch (c) {
      case 'D':
        f.system |= kDraft;
        break;
      case 'F':
        f.system |= kFlagged;
        break;
      case 'R':
        f.system |= kAnswered;
        break;
      case 'S':
        f.system |= kSeen;
        break;
      case 'T':
        f.system |= kDeleted;
        break;
      case 'P':
        f.keywords.push_back(kForwarded);
        break;
      default:
        if (c >= 'a' && c <= 'z' && static_cast<std::size_t>(c - 'a') < letters.size())
          f.keywords.push_back(letters[static_cast<std::size_t>(c - 'a')]);
    }
  }
  std::sort(f.keywords.begin(), f.keywords.end());
  f.keywords.erase(std::unique(f.keywords.begin(), f.keywords.end()), f.keywords.end());
  return f;
}

std::string info_from_flags(const Flags& flags, const std::vector<std::string>& letters) {
  std::string out;
  if (flags.system & kDraft) out += 'D';
  if (flags.system & kFlagged) out += 'F';
  for (const auto& k : flags.keywords)
    if (iequal(k, kForwarded)) {
      out += 'P';
      break;
    }
  if (flags.system & kAnswered) out += 'R';
  if (flags.system & kSeen) out += 'S';
  if (flags.system & kDeleted) out += 'T';
  std::string lower;
  for (const auto& k : flags.keywords) {
    for (std::size_t i = 0; i < letters.size() && i < kMaxKeywordLetters; ++i)
      if (iequal(letters[i], k)) lower += static_cast<char>('a' + i);
  }
  std::sort(lower.begin(), lower.end());
  return out + lower;
}

std::string special_use_name(SpecialUse u) {
  switch (u) {
    case SpecialUse::all:
      return "all";
    case SpecialUse::archive:
      return "archive";
    case SpecialUse::drafts:
      return "drafts";
    case SpecialUse::flagged:
      return "flagged";
    case SpecialUse::junk:
      return "junk";
    case SpecialUse::sent:
      return "sent";
    case SpecialUse::trash:
      return "trash";
    case SpecialUse::none:
      break;
  }
  return "";
}

SpecialUse special_use_from(std::string_view n) {
  for (auto u : {SpecialUse::all, SpecialUse::archive, SpecialUse::drafts, SpecialUse::flagged,
                 SpecialUse::junk, SpecialUse::sent, SpecialUse::trash})
    if (special_use_name(u) == n) return u;
  return SpecialUse::none;
}

bool read_mailbox_file(const fs::path& dir, MailboxFile& out) {
  std::ifstream in(dir / kMailboxFile);
  if (!in) return false;
  MailboxFile f;
  std::string line;
  bool have_validity = false;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::string key;
    ls >> key;
    if (key == "uidvalidity") {
      std::uint64_t v = 0;
      if (ls >> v && v > 0 && v <= 0xffffffffu) {
        f.uid_validity = static_cast<std::uint32_t>(v);
        have_validity = true;
      }
    } else if (key == "uidnext") {
      std::uint64_t v = 0;
      if (ls >> v && v > 0 && v <= 0xffffffffu) f.uid_next = static_cast<Uid>(v);
    } else if (key == "special-use") {
      std::string v;
      ls >> v;
      f.special_use = special_use_from(v);
    } else if (key == "keyword") {
      std::string v;
      if (ls >> v && f.keywords.size() < kMaxKeywordLetters) f.keywords.push_back(v);
    }
  }
  if (!have_validity) return false;
  out = std::move(f);
  return true;
}

std::error_code write_mailbox_file(const fs::path& dir, const MailboxFile& f, bool durable) {
  std::string text = fmt::format("uidvalidity {}\nuidnext {}\n", f.uid_validity, f.uid_next);
  if (f.special_use != SpecialUse::none)
    text += "special-use " + special_use_name(f.special_use) + "\n";
  for (const auto& k : f.keywords) text += "keyword " + k + "\n";
  fs::path tmp = dir / (std::string(kMailboxFile) + ".tmp");
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return last_error();
  std::error_code ec;
  std::string_view rest = text;
  while (!rest.empty()) {
    ssize_t w = ::write(fd, rest.data(), rest.size());
    if (w < 0) {
      if (errno == EINTR) continue;
      ec = last_error();
      break;
    }
    rest.remove_prefix(static_cast<std::size_t>(w));
  }
  if (!ec && durable && ::fsync(fd) != 0) ec = last_error();
  if (::close(fd) != 0 && !ec) ec = last_error();
  if (!ec && ::rename(tmp.c_str(), (dir / kMailboxFile).c_str()) != 0) ec = last_error();
  if (ec) {
    ::unlink(tmp.c_str());
    return ec;
  }
  return durable ? fsync_dir(dir) : std::error_code{};
}

std::error_code scan_maildir(const fs::path& dir, std::vector<ScannedFile>& out) {
  for (int sub = 0; sub < 2; ++sub) {
    fs::path d = dir / (sub == 0 ? "new" : "cur");
    DIR* h = ::opendir(d.c_str());
    if (!h) {
      if (errno == ENOENT) continue;
      return last_error();
    }
    while (struct dirent* e = ::readdir(h)) {
      if (e->d_name[0] == '.') continue;
      if (e->d_type != DT_REG && e->d_type != DT_UNKNOWN && e->d_type != DT_LNK) continue;
      out.push_back({e->d_name, sub == 0});
    }
    ::closedir(h);
  }
  return {};
}

std::error_code fsync_dir(const fs::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return last_error();
  std::error_code ec;
  if (::fsync(fd) != 0) ec = last_error();
  ::close(fd);
  return ec;
}

std::error_code ensure_maildir(const fs::path& dir, bool durable) {
  std::error_code ec;
  bool made_dir = false;
  if (!fs::is_directory(dir, ec)) {
    fs::create_directories(dir, ec);
    if (ec) return ec;
    fs::permissions(dir, fs::perms::owner_all, ec);
    made_dir = true;
  }
  bool made_sub = false;
  for (const char* sub : {"cur", "new", "tmp"}) {
    fs::path p = dir / sub;
    if (::mkdir(p.c_str(), 0700) == 0) {
      made_sub = true;
    } else if (errno != EEXIST) {
      return last_error();
    }
  }
  if (durable) {
    if (made_sub)
      if (auto e = fsync_dir(dir)) return e;
    if (made_dir && dir.has_parent_path())
      if (auto e = fsync_dir(dir.parent_path())) return e;
  }
  return {};
}

std::int64_t maildir_stamp(const fs::path& dir, std::int64_t* newest) {
  std::uint64_t stamp = 0;
  if (newest) *newest = 0;
  for (const char* sub : {"new", "cur"}) {
    struct stat st {};
    if (::stat((dir / sub).c_str(), &st) != 0) continue;
    stamp = stamp * 31 + static_cast<std::uint64_t>(st.st_mtim.tv_sec) * 1000000000u +
            static_cast<std::uint64_t>(st.st_mtim.tv_nsec);
    if (newest) *newest = std::max<std::int64_t>(*newest, st.st_mtim.tv_sec);
  }
  return static_cast<std::int64_t>(stamp >> 1);
}

}  // namespace estafeta::store
