// queue_spool: see the header. Notes:
//  - File names are "<unix-ns hex>.<salt>.<counter>": unique across restarts (time and a
//    per-process random salt) without asking the directory.
//  - A reserve file is empty and its name durable; a writer owns it exclusively (it left the
//    reserve list), so two sessions never write one file.
//  - commit() is the durability point: write record + trailer, fdatasync (it covers the size
//    change, so the data is retrievable), and only then report success.
//  - Faults (I/O errors) leave a file that open() will discard: never a half-committed entry
//    that looks valid, because the trailer carries the record's CRC and is written last.
#include "queue/queue_spool.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <random>

#include "base/fault_injection.hpp"
#include "base/log.hpp"
#include "delivery/delivery_group_sync.hpp"
#include "delivery/delivery_maildir.hpp"

namespace estafeta::queue {
namespace {

std::error_code last_error() {
  return {errno, std::generic_category()};
}

std::error_code write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return last_error();
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

std::error_code read_exact(int fd, std::uint64_t offset, std::size_t length, std::string& out) {
  out.resize(length);
  std::size_t done = 0;
  while (done < length) {
    ssize_t n = ::pread(fd, out.data() + done, length - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return last_error();
    }
    if (n == 0) return std::make_error_code(std::errc::io_error);
    done += static_cast<std::size_t>(n);
  }
  return {};
}

bool spool_file_name(std::string_view n) {
  if (n.empty() || n[0] == '.') return false;
  for (char c : n)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || c == '.')) return false;
  return true;
}

}  // namespace

std::optional<SpoolEnvelope> read_committed(int fd, std::uint64_t size, std::string& error) {
  if (size < kTrailerSize) {
    error = "no trailer (never committed)";
    return std::nullopt;
  }
  std::string bytes;
  if (auto ec = read_exact(fd, size - kTrailerSize, kTrailerSize, bytes)) {
    error = ec.message();
    return std::nullopt;
  }
  auto t = parse_trailer(bytes);
  if (!t || t->record_offset + t->record_length + kTrailerSize != size) {
    error = "no valid trailer (never committed)";
    return std::nullopt;
  }
  if (auto ec = read_exact(fd, t->record_offset, t->record_length, bytes)) {
    error = ec.message();
    return std::nullopt;
  }
  if (crc32(bytes) != t->crc) {
    error = "record checksum mismatch";
    return std::nullopt;
  }
  auto env = parse_record(bytes, error);
  if (env && env->data_length > t->record_offset) {
    error = "data length past the first record";
    return std::nullopt;
  }
  return env;
}

// ---- SpoolWriter ----

SpoolWriter::~SpoolWriter() {
  if (!committed_) discard();
  if (fd_ >= 0) ::close(fd_);
}

std::error_code SpoolWriter::append(std::string_view data) {
  if (failed_ || committed_ || fd_ < 0) return std::make_error_code(std::errc::io_error);
  if (auto ec = write_all(fd_, data)) {
    failed_ = true;
    return ec;
  }
  size_ += data.size();
  return {};
}

std::error_code SpoolWriter::commit(SpoolEnvelope& envelope) {
  if (failed_ || committed_ || fd_ < 0) return std::make_error_code(std::errc::io_error);
  envelope.data_length = size_;
  std::string record = encode_record(envelope);
  Trailer t{size_, record.size(), crc32(record)};
  auto trailer = encode_trailer(t);
  record.append(trailer.data(), trailer.size());
  fault::point("spool-before-commit");
  if (auto ec = write_all(fd_, record)) {
    failed_ = true;
    return ec;
  }
  if (spool_.options_.fsync && ::fdatasync(fd_) != 0) {
    failed_ = true;
    return last_error();
  }
  committed_ = true;
  ::close(fd_);
  fd_ = -1;
  return {};
}

void SpoolWriter::discard() {
  if (committed_ || name_.empty()) return;
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
  ::unlink(spool_.path(name_).c_str());
  name_.clear();
}

// ---- Spool ----

Spool::Spool(SpoolOptions options)
    : options_(std::move(options)), sync_(std::make_shared<delivery::GroupSync>()) {
  std::random_device rd;
  salt_ = fmt::format("{:06x}", rd() & 0xffffff);
}

Spool::~Spool() = default;

std::string Spool::new_name() {
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                std::chrono::system_clock::now().time_since_epoch())
                .count();
  return fmt::format("{:x}.{}.{:x}", ns, salt_, counter_.fetch_add(1));
}

std::error_code Spool::open(std::vector<SpoolEntry>& recovered) {
  std::error_code ec;
  std::filesystem::create_directories(options_.dir, ec);
  if (ec) return ec;
  ::chmod(options_.dir.c_str(), 0700);
  DIR* d = ::opendir(options_.dir.c_str());
  if (!d) return last_error();
  std::vector<std::string> names;
  while (dirent* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n == "." || n == "..") continue;
    names.push_back(std::move(n));
  }
  ::closedir(d);
  std::lock_guard lock(mutex_);
  for (const std::string& n : names) {
    if (!spool_file_name(n)) {
      log::warn("spool", "ignoring unexpected file {} in {}", n, options_.dir.string());
      continue;
    }
    int fd = ::open(path(n).c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    struct stat st {};
    ::fstat(fd, &st);
    std::string error;
    std::optional<SpoolEnvelope> env;
    if (st.st_size > 0) env = read_committed(fd, static_cast<std::uint64_t>(st.st_size), error);
    ::close(fd);
    if (st.st_size == 0) {
      reserve_.push_back(n);
    } else if (env) {
      recovered.push_back(SpoolEntry{n, std::move(*env), static_cast<std::uint64_t>(st.st_size)});
    } else {
      // Never acknowledged: the session died before commit() returned.
      log::info("spool", "removing unfinished spool file {} ({})", n, error);
      ::unlink(path(n).c_str());
    }
  }
  return {};
}

std::unique_ptr<SpoolWriter> Spool::begin(std::error_code& ec) {
  ec.clear();
  std::string name;
  {
    std::lock_guard lock(mutex_);
    if (!reserve_.empty()) {
      name = std::move(reserve_.back());
      reserve_.pop_back();
    }
  }
  if (!name.empty()) {
    int fd = ::open(path(name).c_str(), O_WRONLY | O_CLOEXEC);
    if (fd >= 0) return std::unique_ptr<SpoolWriter>(new SpoolWriter(*this, name, fd));
    log::warn("spool", "reserve file {} unusable: {}", name, std::strerror(errno));
  }
  // No reserve: a fresh file, and its name made durable before any commit relies on it.
  name = new_name();
  int fd = ::open(path(name).c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    ec = last_error();
    return nullptr;
  }
  auto writer = std::unique_ptr<SpoolWriter>(new SpoolWriter(*this, name, fd));
  if (options_.fsync) {
    if (auto e = sync_->sync(options_.dir)) {
      ec = e;
      return nullptr;  // the writer's destructor removes the file
    }
  }
  return writer;
}

std::optional<SpoolEntry> Spool::load(const std::string& name, std::string& error) const {
  int fd = ::open(path(name).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    error = std::strerror(errno);
    return std::nullopt;
  }
  struct stat st {};
  ::fstat(fd, &st);
  auto env = read_committed(fd, static_cast<std::uint64_t>(st.st_size), error);
  ::close(fd);
  if (!env) return std::nullopt;
  return SpoolEntry{name, std::move(*env), static_cast<std::uint64_t>(st.st_size)};
}

std::vector<SpoolEntry> Spool::list(std::vector<std::string>& errors) const {
  std::vector<SpoolEntry> out;
  DIR* d = ::opendir(options_.dir.c_str());
  if (!d) {
    if (errno != ENOENT) errors.push_back(options_.dir.string() + ": " + std::strerror(errno));
    return out;
  }
  std::vector<std::string> names;
  while (dirent* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (spool_file_name(n)) names.push_back(std::move(n));
  }
  ::closedir(d);
  for (const std::string& n : names) {
    struct stat st {};
    if (::stat(path(n).c_str(), &st) != 0 || st.st_size == 0) continue;  // reserve
    std::string error;
    if (auto e = load(n, error)) {
      out.push_back(std::move(*e));
    } else {
      errors.push_back(n + ": " + error);  // a message being received, or damage
    }
  }
  return out;
}

std::error_code Spool::update(const std::string& name, const SpoolEnvelope& envelope) {
  int fd = ::open(path(name).c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (fd < 0) return last_error();
  struct stat st {};
  ::fstat(fd, &st);
  std::string record = encode_record(envelope);
  Trailer t{static_cast<std::uint64_t>(st.st_size), record.size(), crc32(record)};
  auto trailer = encode_trailer(t);
  record.append(trailer.data(), trailer.size());
  std::error_code ec = write_all(fd, record);
  if (!ec && options_.fsync && ::fdatasync(fd) != 0) ec = last_error();
  ::close(fd);
  return ec;
}

std::error_code Spool::remove(const std::string& name) {
  if (::unlink(path(name).c_str()) != 0 && errno != ENOENT) return last_error();
  return {};
}

bool Spool::claim_replenish() {
  std::lock_guard lock(mutex_);
  if (replenishing_ || reserve_.size() > options_.reserve / 2) return false;
  replenishing_ = true;
  return true;
}

std::error_code Spool::replenish() {
  std::size_t want;
  {
    std::lock_guard lock(mutex_);
    want = options_.reserve > reserve_.size() ? options_.reserve - reserve_.size() : 0;
  }
  std::vector<std::string> made;
  std::error_code ec;
  for (std::size_t i = 0; i < want; ++i) {
    std::string n = new_name();
    int fd = ::open(path(n).c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
      ec = last_error();
      break;
    }
    ::close(fd);
    made.push_back(std::move(n));
  }
  // The names join the reserve only once they are durable.
  if (!made.empty() && options_.fsync) {
    if (auto e = delivery::fsync_directory(options_.dir)) {
      ec = e;
      for (const auto& n : made) ::unlink(path(n).c_str());
      made.clear();
    }
  }
  std::lock_guard lock(mutex_);
  for (auto& n : made) reserve_.push_back(std::move(n));
  replenishing_ = false;
  return ec;
}

std::size_t Spool::reserve_size() const {
  std::lock_guard lock(mutex_);
  return reserve_.size();
}

std::uint64_t Spool::directory_fsyncs() const {
  return sync_->fsyncs();
}

}  // namespace estafeta::queue
