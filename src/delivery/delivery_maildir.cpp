// delivery_maildir: see delivery_maildir.hpp.
#include "delivery/delivery_maildir.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <vector>

#include <fmt/format.h>

namespace estafeta::delivery {

namespace {

std::error_code last_error() {
  return {errno, std::generic_category()};
}

// mkdir that treats an existing directory as success. Sets `created` when it made it.
std::error_code make_dir(const std::filesystem::path& p, bool& created) {
  created = false;
  if (::mkdir(p.c_str(), 0700) == 0) {
    created = true;
    return {};
  }
  if (errno != EEXIST) return last_error();
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0) return last_error();
  if (!S_ISDIR(st.st_mode)) return std::make_error_code(std::errc::not_a_directory);
  return {};
}

}  // namespace

std::string maildir_escape_host(std::string_view host) {
  std::string out;
  out.reserve(host.size());
  for (char c : host) {
    if (c == '/')
      out += "\\057";
    else if (c == ':')
      out += "\\072";
    else
      out += c;
  }
  return out;
}

std::string maildir_base_name(std::string_view escaped_host) {
  static std::atomic<unsigned long> counter{0};
  struct timeval tv {};
  ::gettimeofday(&tv, nullptr);
  unsigned long q = counter.fetch_add(1, std::memory_order_relaxed) + 1;
  return fmt::format("{}.M{}P{}Q{}.{}", static_cast<long long>(tv.tv_sec),
                     static_cast<long>(tv.tv_usec), static_cast<long>(::getpid()), q, escaped_host);
}

std::string maildir_unique_name(std::string_view escaped_host, std::size_t size) {
  return fmt::format("{},S={}", maildir_base_name(escaped_host), size);
}

bool maildir_has_message(const std::filesystem::path& dir, std::string_view base_name) {
  for (const char* sub : {"new", "cur"}) {
    DIR* d = ::opendir((dir / sub).c_str());
    if (!d) continue;
    bool found = false;
    while (dirent* e = ::readdir(d)) {
      std::string_view n = e->d_name;
      if (n.size() >= base_name.size() && n.substr(0, base_name.size()) == base_name &&
          (n.size() == base_name.size() || n[base_name.size()] == ',' ||
           n[base_name.size()] == ':')) {
        found = true;
        break;
      }
    }
    ::closedir(d);
    if (found) return true;
  }
  return false;
}

std::error_code fsync_directory(const std::filesystem::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return last_error();
  std::error_code ec;
  if (::fsync(fd) != 0) ec = last_error();
  ::close(fd);
  return ec;
}

std::error_code maildir_ensure(const std::filesystem::path& dir, bool folder, bool durable) {
  // Fast path: the common case is an existing Maildir.
  struct stat st {};
  std::filesystem::path tmp = dir / "tmp";
  if (::stat(tmp.c_str(), &st) == 0 && S_ISDIR(st.st_mode) &&
      ::stat((dir / "new").c_str(), &st) == 0 && ::stat((dir / "cur").c_str(), &st) == 0)
    return {};

  // Create `dir` and its missing ancestors, outermost first; the chain is short and
  // bounded by the path's component count.
  std::vector<std::filesystem::path> chain;
  for (std::filesystem::path p = dir; !p.empty() && p != p.root_path(); p = p.parent_path()) {
    if (::stat(p.c_str(), &st) == 0) break;
    chain.push_back(p);
    if (p == p.parent_path()) break;
  }
  std::vector<std::filesystem::path> parents_to_sync;
  for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
    bool created = false;
    if (auto ec = make_dir(*it, created)) return ec;
    if (created) parents_to_sync.push_back(it->parent_path());
  }
  bool made_sub = false;
  for (const char* sub : {"cur", "new", "tmp"}) {
    bool created = false;
    if (auto ec = make_dir(dir / sub, created)) return ec;
    made_sub = made_sub || created;
  }
  if (folder) {
    // Maildir++: a folder carries an empty "maildirfolder" file.
    int fd = ::open((dir / "maildirfolder").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return last_error();
    ::close(fd);
    made_sub = true;
  }
  if (made_sub) parents_to_sync.push_back(dir);
  if (durable) {
    for (const auto& p : parents_to_sync)
      if (auto ec = fsync_directory(p)) return ec;
  }
  return {};
}

}  // namespace estafeta::delivery
