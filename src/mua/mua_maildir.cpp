// mua_maildir: see mua_maildir.hpp.
#include "mua/mua_maildir.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>

namespace estafeta::mua {

namespace fs = std::filesystem;

namespace {

PeerError error(std::string text) {
  return PeerError{0, "", std::move(text)};
}

std::string unique_name() {
  static std::atomic<unsigned> counter{0};
  auto now = std::chrono::system_clock::now().time_since_epoch();
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(now).count();
  char host[128] = "localhost";
  ::gethostname(host, sizeof host - 1);
  for (char* p = host; *p; ++p)
    if (*p == '/' || *p == ':') *p = '_';
  return std::to_string(us / 1000000) + ".M" + std::to_string(us % 1000000) + "P" +
         std::to_string(::getpid()) + "Q" + std::to_string(++counter) + "." + host;
}

}  // namespace

Result<fs::path> maildir_store(const fs::path& maildir, std::string_view message) {
  std::error_code ec;
  if (!fs::exists(maildir, ec)) {
    fs::create_directories(maildir, ec);
    if (ec) return error("Maildir " + maildir.string() + ": cannot create: " + ec.message());
    ::chmod(maildir.c_str(), 0700);
  }
  for (const char* sub : {"tmp", "new", "cur"}) {
    fs::path d = maildir / sub;
    if (::mkdir(d.c_str(), 0700) != 0 && errno != EEXIST)
      return error("Maildir " + d.string() + ": cannot create: " + std::strerror(errno));
  }
  const std::string name = unique_name();
  const fs::path tmp = maildir / "tmp" / name;
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return error("Maildir " + tmp.string() + ": " + std::strerror(errno));
  std::size_t done = 0;
  while (done < message.size()) {
    ssize_t n = ::write(fd, message.data() + done, message.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      std::string e = std::strerror(errno);
      ::close(fd);
      ::unlink(tmp.c_str());
      return error("Maildir " + tmp.string() + ": write: " + e);
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    std::string e = std::strerror(errno);
    ::unlink(tmp.c_str());
    return error("Maildir " + tmp.string() + ": fsync: " + e);
  }
  const fs::path dst = maildir / "new" / name;
  if (::rename(tmp.c_str(), dst.c_str()) != 0) {
    std::string e = std::strerror(errno);
    ::unlink(tmp.c_str());
    return error("Maildir " + dst.string() + ": rename: " + e);
  }
  int dfd = ::open((maildir / "new").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0 || ::fsync(dfd) != 0) {
    if (dfd >= 0) ::close(dfd);
    return error("Maildir " + (maildir / "new").string() + ": fsync failed");
  }
  ::close(dfd);
  return dst;
}

}  // namespace estafeta::mua
