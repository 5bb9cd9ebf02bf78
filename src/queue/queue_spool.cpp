// queue_spool: see the header. Notes:
//  - File names are "<unix-ns hex>.<salt>.<counter>": unique across restarts (time and a
//    per-process random salt) without asking the directory.
//  - A free slot has no valid trailer; a writer owns its slot exclusively (it left the
//    reserve list), so two sessions never write one file.
//  - Writes are pwrite()s from offset 0: the data, then the record right after it, then the
//    trailer in the file's last 32 octets (the slot's end, or right after the record when
//    the message outgrew the slot). commit() is the durability point: one fdatasync, and
//    only then success.
//  - The trailer is written last and carries a MAC of the record, and the record the CRC of
//    the data: a file torn by a crash (new trailer, old data; old trailer, new data) or one
//    whose last octets are a peer's message data is never taken for a committed message.
//  - The key (spool/.key, 16 random octets, mode 0600) is made on first use.
#include "queue/queue_spool.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/random.h>
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
#include "mime/mime_downgrade.hpp"

namespace estafeta::queue {
namespace {

constexpr const char* kKeyFile = ".key";

std::error_code last_error() {
  return {errno, std::generic_category()};
}

std::error_code pwrite_all(int fd, std::string_view data, std::uint64_t offset) {
  while (!data.empty()) {
    ssize_t n = ::pwrite(fd, data.data(), data.size(), static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      return last_error();
    }
    data.remove_prefix(static_cast<std::size_t>(n));
    offset += static_cast<std::uint64_t>(n);
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

// Writes `envelope`'s record at `record_offset` and its trailer in the last 32 octets of a
// slot of `capacity` octets, or right after the record when it does not fit before them.
std::error_code write_commit(int fd, const SpoolEnvelope& envelope, std::uint64_t record_offset,
                             std::uint64_t capacity, const SpoolKey& key) {
  std::string bytes = encode_record(envelope);
  const std::size_t record_size = bytes.size();
  Trailer t{record_offset, static_cast<std::uint32_t>(record_size), siphash24(key, bytes)};
  auto trailer = encode_trailer(t);
  const std::uint64_t end = record_offset + record_size;
  if (capacity < kTrailerSize || end > capacity - kTrailerSize) {
    bytes.append(trailer.data(), trailer.size());
    return pwrite_all(fd, bytes, record_offset);
  }
  if (auto ec = pwrite_all(fd, bytes, record_offset)) return ec;
  return pwrite_all(fd, std::string_view(trailer.data(), trailer.size()), capacity - kTrailerSize);
}

}  // namespace

std::optional<SpoolEnvelope> read_committed(int fd, std::uint64_t size, const SpoolKey& key,
                                            bool check_data, std::string& error) {
  if (size < kTrailerSize) {
    error = "no trailer (a free slot)";
    return std::nullopt;
  }
  std::string bytes;
  if (auto ec = read_exact(fd, size - kTrailerSize, kTrailerSize, bytes)) {
    error = ec.message();
    return std::nullopt;
  }
  auto t = parse_trailer(bytes);
  if (!t || t->record_offset + t->record_length > size - kTrailerSize) {
    error = "no valid trailer (a free slot, or never committed)";
    return std::nullopt;
  }
  if (auto ec = read_exact(fd, t->record_offset, t->record_length, bytes)) {
    error = ec.message();
    return std::nullopt;
  }
  if (siphash24(key, bytes) != t->mac) {
    error = "record MAC mismatch (not written by this spool)";
    return std::nullopt;
  }
  auto env = parse_record(bytes, error);
  if (!env) return std::nullopt;
  if (env->data_length > t->record_offset) {
    error = "data length past the record";
    return std::nullopt;
  }
  if (check_data) {
    std::uint32_t crc = 0;
    std::string block;
    for (std::uint64_t pos = 0; pos < env->data_length;) {
      std::size_t n =
          static_cast<std::size_t>(std::min<std::uint64_t>(1 << 20, env->data_length - pos));
      if (auto ec = read_exact(fd, pos, n, block)) {
        error = ec.message();
        return std::nullopt;
      }
      crc = crc32(block, crc);
      pos += n;
    }
    if (crc != env->data_crc) {
      error = "data CRC mismatch (a slot overwritten by a message never committed)";
      return std::nullopt;
    }
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
  if (auto ec = pwrite_all(fd_, data, size_)) {
    failed_ = true;
    return ec;
  }
  size_ += data.size();
  crc_ = crc32(data, crc_);
  eight_bit_ = eight_bit_ || !mime::is_7bit(data);
  return {};
}

std::error_code SpoolWriter::commit(SpoolEnvelope& envelope) {
  if (failed_ || committed_ || fd_ < 0) return std::make_error_code(std::errc::io_error);
  envelope.data_length = size_;
  envelope.data_crc = crc_;
  if (eight_bit_ && envelope.body != "BINARYMIME") envelope.body = "8BITMIME";
  fault::point("spool-before-commit");
  if (auto ec = write_commit(fd_, envelope, size_, capacity_, spool_.key_)) {
    failed_ = true;
    return ec;
  }
  // Durable: a commit alone fdatasyncs its own file; concurrent ones share one syncfs, begun
  // after they wrote (group commit across sessions: on a file system without a journal each
  // fdatasync is a cache flush of its own, so 50 concurrent commits would cost 50 flushes),
  // which also covers the Maildir files local delivery wrote meanwhile (see
  // sync_file_system), so that a message costs one flush.
  if (spool_.options_.fsync) {
    if (auto ec = spool_.sync_->sync_file(spool_.options_.dir, fd_)) {
      failed_ = true;
      return ec;
    }
  }
  committed_ = true;
  ::close(fd_);
  fd_ = -1;
  return {};
}

void SpoolWriter::discard() {
  if (committed_ || name_.empty()) return;
  if (fd_ >= 0) {
    // A message that outgrew its slot ends in the peer's data: the MAC keeps that from ever
    // passing for a trailer, but a zeroed end keeps the free slot plainly free.
    struct stat st {};
    if (::fstat(fd_, &st) == 0 && static_cast<std::uint64_t>(st.st_size) >= kTrailerSize)
      pwrite_all(fd_, std::string(kTrailerSize, '\0'),
                 static_cast<std::uint64_t>(st.st_size) - kTrailerSize);
    ::close(fd_);
    fd_ = -1;
  }
  if (failed_) {
    ::unlink(spool_.path(name_).c_str());  // a slot that failed to write is not reused
  } else {
    spool_.free_slot(std::move(name_));
  }
  name_.clear();
}

// ---- Spool ----

Spool::Spool(SpoolOptions options)
    : options_(std::move(options)), sync_(std::make_shared<delivery::GroupSync>()) {
  std::random_device rd;
  salt_ = fmt::format("{:06x}", rd() & 0xffffff);
}

Spool::~Spool() = default;

std::error_code Spool::sync_file_system(std::chrono::milliseconds linger) {
  return sync_->sync(options_.dir, delivery::GroupSync::Mode::file_system, linger);
}

bool Spool::same_file_system(const std::filesystem::path& dir) const {
  struct stat st {};
  return device_ != 0 && ::stat(dir.c_str(), &st) == 0 && st.st_dev == device_;
}

std::string Spool::new_name() {
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                std::chrono::system_clock::now().time_since_epoch())
                .count();
  return fmt::format("{:x}.{}.{:x}", ns, salt_, counter_.fetch_add(1));
}

std::error_code Spool::read_key() {
  std::error_code ec = load_key_file();
  return ec == std::errc::no_such_file_or_directory ? std::error_code() : ec;
}

std::error_code Spool::load_key_file() {
  int fd = ::open((options_.dir / kKeyFile).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return last_error();
  std::string bytes;
  std::error_code ec = read_exact(fd, 0, key_.size(), bytes);
  ::close(fd);
  if (!ec) std::memcpy(key_.data(), bytes.data(), key_.size());
  return ec;
}

std::error_code Spool::load_key() {
  std::error_code found = load_key_file();
  if (found != std::errc::no_such_file_or_directory) return found;  // read, or an error
  const std::filesystem::path p = options_.dir / kKeyFile;
  if (::getrandom(key_.data(), key_.size(), 0) != static_cast<ssize_t>(key_.size()))
    return last_error();
  std::filesystem::path tmp = options_.dir / ".key.new";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return last_error();
  std::error_code ec =
      pwrite_all(fd, std::string_view(reinterpret_cast<const char*>(key_.data()), key_.size()), 0);
  if (!ec && ::fsync(fd) != 0) ec = last_error();
  ::close(fd);
  if (!ec && ::rename(tmp.c_str(), p.c_str()) != 0) ec = last_error();
  if (!ec) ec = delivery::fsync_directory(options_.dir);
  return ec;
}

std::error_code Spool::open(std::vector<SpoolEntry>& recovered) {
  std::error_code ec;
  std::filesystem::create_directories(options_.dir, ec);
  if (ec) return ec;
  ::chmod(options_.dir.c_str(), 0700);
  struct stat dir_st {};
  if (::stat(options_.dir.c_str(), &dir_st) != 0) return last_error();
  device_ = dir_st.st_dev;
  if (auto e = load_key()) return e;
  DIR* d = ::opendir(options_.dir.c_str());
  if (!d) return last_error();
  std::vector<std::string> names;
  while (dirent* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n.empty() || n[0] == '.') continue;  // ".", "..", the key (and a key being made)
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
    if (st.st_size > 0)
      env = read_committed(fd, static_cast<std::uint64_t>(st.st_size), key_, true, error);
    ::close(fd);
    if (env) {
      recovered.push_back(SpoolEntry{n, std::move(*env), static_cast<std::uint64_t>(st.st_size)});
    } else {
      // A free slot, or a message never acknowledged (the session died before commit()
      // returned): free either way.
      if (st.st_size > 0 && error.find("free slot") == std::string::npos)
        log::info("spool", "spool file {} holds no committed message ({}): reused", n, error);
      reserve_.push_back(n);
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
    struct stat st {};
    if (fd >= 0 && ::fstat(fd, &st) == 0)
      return std::unique_ptr<SpoolWriter>(
          new SpoolWriter(*this, name, fd, static_cast<std::uint64_t>(st.st_size)));
    log::warn("spool", "free slot {} unusable: {}", name, std::strerror(errno));
    if (fd >= 0) ::close(fd);
  }
  // No free slot: a fresh file, and its name made durable before any commit relies on it.
  name = new_name();
  int fd = ::open(path(name).c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    ec = last_error();
    return nullptr;
  }
  auto writer = std::unique_ptr<SpoolWriter>(new SpoolWriter(*this, name, fd, 0));
  if (options_.fsync) {
    if (auto e = sync_->sync(options_.dir)) {
      ec = e;
      writer->failed_ = true;
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
  auto env = read_committed(fd, static_cast<std::uint64_t>(st.st_size), key_, false, error);
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
    std::string error;
    if (auto e = load(n, error)) {
      out.push_back(std::move(*e));
    } else if (error.find("free slot") == std::string::npos) {
      // A trailer that does not verify, a record that does not parse, a read error: damage
      // an operator should hear of (free slots and messages being received end in zeros).
      errors.push_back(n + ": " + error);
    }
  }
  return out;
}

std::error_code Spool::update(const std::string& name, const SpoolEnvelope& envelope) {
  int fd = ::open(path(name).c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return last_error();
  struct stat st {};
  ::fstat(fd, &st);
  // The new record goes after everything (the old trailer stays valid until the new one is
  // written, at the new end).
  std::error_code ec = write_commit(fd, envelope, static_cast<std::uint64_t>(st.st_size), 0, key_);
  if (!ec && options_.fsync && ::fdatasync(fd) != 0) ec = last_error();
  ::close(fd);
  return ec;
}

void Spool::free_slot(std::string name) {
  {
    std::lock_guard lock(mutex_);
    if (reserve_.size() < options_.max_free) {
      reserve_.push_back(std::move(name));
      return;
    }
  }
  ::unlink(path(name).c_str());
}

void Spool::release(const std::string& name) {
  int fd = ::open(path(name).c_str(), O_WRONLY | O_CLOEXEC);
  struct stat st {};
  std::uint64_t size = 0;
  bool ok = fd >= 0 && ::fstat(fd, &st) == 0;
  if (ok) {
    size = static_cast<std::uint64_t>(st.st_size);
    if (size > kSlotSize) {  // a large message grew the slot: give the space back
      ok = ::ftruncate(fd, kSlotSize) == 0;
      size = kSlotSize;
    }
  }
  if (!ok || size < kTrailerSize ||
      pwrite_all(fd, std::string(kTrailerSize, '\0'), size - kTrailerSize)) {
    if (fd >= 0) ::close(fd);
    if (auto ec = remove(name))
      log::error("spool", "cannot remove delivered spool file {}: {}", name, ec.message());
    return;
  }
  ::close(fd);
  free_slot(name);
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

std::error_code Spool::make_slot(const std::string& name) {
  int fd = ::open(path(name).c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return last_error();
  static const std::string zeros(kSlotSize, '\0');
  std::error_code ec = pwrite_all(fd, zeros, 0);
  if (!ec && options_.fsync && ::fdatasync(fd) != 0) ec = last_error();
  ::close(fd);
  if (ec) ::unlink(path(name).c_str());
  return ec;
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
    if ((ec = make_slot(n))) break;
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
