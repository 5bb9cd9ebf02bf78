// queue_srs_key: see the header.
#include "queue/queue_srs_key.hpp"

#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "delivery/delivery_maildir.hpp"

namespace estafeta::queue {
namespace {

std::error_code last_error() {
  return {errno, std::generic_category()};
}

}  // namespace

std::error_code load_srs_key(const std::filesystem::path& file, SrsKey& key) {
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    std::uint8_t buf[sizeof(SrsKey) + 1];
    ssize_t n = ::read(fd, buf, sizeof buf);
    std::error_code ec = n < 0 ? last_error() : std::error_code();
    ::close(fd);
    if (ec) return ec;
    if (n != static_cast<ssize_t>(key.size()))
      return std::make_error_code(std::errc::invalid_argument);
    std::copy(buf, buf + key.size(), key.begin());
    return {};
  }
  if (errno != ENOENT) return last_error();
  if (::getrandom(key.data(), key.size(), 0) != static_cast<ssize_t>(key.size()))
    return last_error();
  const std::filesystem::path tmp = file.string() + ".new";
  fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return last_error();
  std::error_code ec;
  if (::write(fd, key.data(), key.size()) != static_cast<ssize_t>(key.size()) || ::fsync(fd) != 0)
    ec = last_error();
  ::close(fd);
  if (!ec && ::rename(tmp.c_str(), file.c_str()) != 0) ec = last_error();
  if (!ec) ec = delivery::fsync_directory(file.parent_path());
  if (ec) ::unlink(tmp.c_str());
  return ec;
}

}  // namespace estafeta::queue
