// mua_outbox: see mua_outbox.hpp.
#include "mua/mua_outbox.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <random>

namespace estafeta::mua {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t kMaxEntry = 512 * 1024 * 1024;

PeerError error(std::string text) {
  return PeerError{0, "", std::move(text)};
}

std::string new_id() {
  auto now = std::chrono::system_clock::now().time_since_epoch();
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(now).count();
  std::random_device rd;
  char buf[96];
  std::snprintf(buf, sizeof buf, "%lld.%06lld.P%dR%08x", static_cast<long long>(us / 1000000),
                static_cast<long long>(us % 1000000), static_cast<int>(::getpid()), rd());
  return buf;
}

bool fsync_dir(const fs::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return false;
  bool ok = ::fsync(fd) == 0;
  ::close(fd);
  return ok;
}

bool valid_id(const std::string& id) {
  return !id.empty() && id.size() < 200 && id.front() != '.' && id.find('/') == std::string::npos;
}

}  // namespace

Result<bool> Outbox::prepare() {
  for (const fs::path& d : {dir_, dir_ / "tmp", dir_ / "new"}) {
    if (::mkdir(d.c_str(), 0700) != 0 && errno != EEXIST) {
      if (errno == ENOENT) {
        std::error_code ec;
        fs::create_directories(d, ec);
        if (!ec) {
          ::chmod(d.c_str(), 0700);
          continue;
        }
      }
      return error("outbox " + d.string() + ": cannot create: " + std::strerror(errno));
    }
  }
  return true;
}

Result<bool> Outbox::write_into_new(const std::string& id, const OutboxRecord& record) {
  if (auto p = prepare(); !p) return p.error();
  const std::string data = serialize(record);
  const fs::path tmp = dir_ / "tmp" / id;
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return error("outbox " + tmp.string() + ": " + std::strerror(errno));
  std::size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      std::string e = std::strerror(errno);
      ::close(fd);
      ::unlink(tmp.c_str());
      return error("outbox " + tmp.string() + ": write: " + e);
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    std::string e = std::strerror(errno);
    ::unlink(tmp.c_str());
    return error("outbox " + tmp.string() + ": fsync: " + e);
  }
  const fs::path dst = dir_ / "new" / id;
  if (::rename(tmp.c_str(), dst.c_str()) != 0) {
    std::string e = std::strerror(errno);
    ::unlink(tmp.c_str());
    return error("outbox " + dst.string() + ": rename: " + e);
  }
  if (!fsync_dir(dir_ / "new"))
    return error("outbox " + dst.string() + ": fsync of the folder failed");
  return true;
}

Result<std::string> Outbox::add(const OutboxRecord& record) {
  std::string id = new_id();
  auto w = write_into_new(id, record);
  if (!w) return w.error();
  return id;
}

Result<bool> Outbox::replace(const std::string& id, const OutboxRecord& record) {
  if (!valid_id(id)) return error("bad outbox entry name \"" + id + "\"");
  return write_into_new(id, record);
}

Result<std::vector<std::string>> Outbox::list() const {
  std::vector<std::string> ids;
  std::error_code ec;
  fs::directory_iterator it(dir_ / "new", ec);
  if (ec) {
    if (ec == std::errc::no_such_file_or_directory) return ids;
    return error("outbox " + (dir_ / "new").string() + ": " + ec.message());
  }
  for (const auto& e : it) {
    std::string name = e.path().filename().string();
    if (valid_id(name) && e.is_regular_file(ec)) ids.push_back(name);
  }
  std::sort(ids.begin(), ids.end());  // ids start with the time
  return ids;
}

Result<OutboxRecord> Outbox::read(const std::string& id) const {
  if (!valid_id(id)) return error("bad outbox entry name \"" + id + "\"");
  const fs::path p = dir_ / "new" / id;
  int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return error("outbox " + p.string() + ": " + std::strerror(errno));
  std::string data;
  char buf[65536];
  while (true) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      std::string e = std::strerror(errno);
      ::close(fd);
      return error("outbox " + p.string() + ": " + e);
    }
    if (n == 0) break;
    data.append(buf, static_cast<std::size_t>(n));
    if (data.size() > kMaxEntry) {
      ::close(fd);
      return error("outbox " + p.string() + ": larger than 512 MiB");
    }
  }
  ::close(fd);
  auto r = parse_outbox_record(data);
  if (!r) return error(p.string() + ": " + r.error().text);
  return r;
}

Result<bool> Outbox::remove(const std::string& id) {
  if (!valid_id(id)) return error("bad outbox entry name \"" + id + "\"");
  const fs::path p = dir_ / "new" / id;
  if (::unlink(p.c_str()) != 0)
    return error("outbox " + p.string() + ": cannot remove: " + std::strerror(errno));
  fsync_dir(dir_ / "new");
  return true;
}

}  // namespace estafeta::mua
