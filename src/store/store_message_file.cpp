// store_message_file: see store_message_file.hpp.
#include "store/store_message_file.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "mime/mime_date.hpp"
#include "mime/mime_imap_bodystructure.hpp"
#include "mime/mime_imap_envelope.hpp"
#include "mime/mime_parser.hpp"
#include "mime/mime_preview.hpp"
#include "store/store_maildir_files.hpp"
#include "store/store_sort_keys.hpp"

namespace estafeta::store {
namespace {

std::error_code last_error() {
  return {errno, std::generic_category()};
}

constexpr std::size_t kBlock = 64 * 1024;

std::error_code write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t w = ::write(fd, data.data(), data.size());
    if (w < 0) {
      if (errno == EINTR) continue;
      return last_error();
    }
    data.remove_prefix(static_cast<std::size_t>(w));
  }
  return {};
}

// Appends `in` to `out` with every LF not preceded by CR written as CRLF; `prev` is the
// last byte seen (across calls).
void append_crlf(std::string& out, std::string_view in, char& prev) {
  // Whole lines at a time: messages that arrived over SMTP already end lines with CRLF.
  while (!in.empty()) {
    std::size_t lf = in.find('\n');
    if (lf == std::string_view::npos) {
      out.append(in);
      prev = in.back();
      return;
    }
    const char before = lf > 0 ? in[lf - 1] : prev;
    out.append(in.data(), lf);
    if (before != '\r') out += '\r';
    out += '\n';
    prev = '\n';
    in.remove_prefix(lf + 1);
  }
}

// Appends `in` to `out` as it is, counting in `bare` the LFs not preceded by CR; `prev` as
// for append_crlf.
void append_raw(std::string& out, std::string_view in, char& prev, std::uint64_t& bare) {
  if (in.empty()) return;
  for (char c : in) {
    if (c == '\n' && prev != '\r') ++bare;
    prev = c;
  }
  out.append(in);
}

void compute_cache(std::string_view data, CachedFields& cache) {
  cache.ends_with_line_end = data.empty() || data.back() == '\n';
  mime::Message m = mime::parse(data);
  cache.envelope = mime::imap_envelope(m);
  cache.body_structure = mime::imap_bodystructure(m);
  mime::BodystructureOptions body;
  body.extended = false;
  cache.body = mime::imap_bodystructure(m, 0, body);
  cache.header = std::string(m.header_bytes(m.root()));
  cache.preview = mime::message_preview(m);  // RFC 8970
  cache.sent_date = 0;
  cache.sent_tz = 0;
  if (const auto* f = m.find_field(m.root(), "Date")) {
    if (auto d = mime::parse_date(f->value)) {
      cache.sent_date = d->to_unix();
      cache.sent_tz = d->zone_minutes;
    }
  }
  cache.sort = compute_sort_keys(m);
}

// Maps `fd` (of `size` octets) read-only and computes the cache and the IMAP size.
std::error_code cache_of_fd(int fd, std::uint64_t size, CachedFields& cache,
                            std::uint64_t& imap_size) {
  if (size == 0) {
    compute_cache({}, cache);
    imap_size = 0;
    return {};
  }
  void* p = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) return last_error();
  std::string_view data(static_cast<const char*>(p), size);
  compute_cache(data, cache);
  std::uint64_t bare = 0;
  char prev = 0;
  for (char c : data) {
    if (c == '\n' && prev != '\r') ++bare;
    prev = c;
  }
  imap_size = size + bare;
  ::munmap(p, size);
  return {};
}

class FileBlob final : public Blob {
 public:
  FileBlob(int fd, std::uint64_t size) : fd_(fd), size_(size) {}
  ~FileBlob() override { ::close(fd_); }
  std::uint64_t size() const override { return size_; }
  std::error_code read(std::uint64_t offset, std::size_t n, std::string& out) override {
    out.clear();
    if (offset >= size_) return {};
    n = static_cast<std::size_t>(std::min<std::uint64_t>(n, size_ - offset));
    out.resize(n);
    std::size_t got = 0;
    while (got < n) {
      ssize_t r = ::pread(fd_, out.data() + got, n - got, static_cast<off_t>(offset + got));
      if (r < 0) {
        if (errno == EINTR) continue;
        out.clear();
        return last_error();
      }
      if (r == 0) break;
      got += static_cast<std::size_t>(r);
    }
    out.resize(got);
    return {};
  }

 private:
  int fd_;
  std::uint64_t size_;
};

}  // namespace

std::error_code write_message_file(const std::filesystem::path& maildir, const NewMessage& m,
                                   bool durable, WrittenFile& out) {
  out.unique = unique_name();
  out.tmp_path = maildir / "tmp" / out.unique;
  int fd = ::open(out.tmp_path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return last_error();
  std::error_code ec;
  std::string buf;
  buf.reserve(kBlock + m.prefix.size() + 16);
  char prev = 0;
  append_crlf(buf, m.prefix, prev);
  std::uint64_t written = 0;
  std::uint64_t bare = 0;  // bare LFs kept (NewMessage::keep_bare_lf)
  auto append_data = [&](std::string_view data) {
    if (m.keep_bare_lf)
      append_raw(buf, data, prev, bare);
    else
      append_crlf(buf, data, prev);
  };
  std::uint64_t total = m.fd >= 0 ? m.length : m.bytes.size();
  std::uint64_t pos = 0;
  std::string block, filtered;
  while (!ec && pos < total) {
    std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(kBlock, total - pos));
    std::string_view chunk;
    if (m.fd >= 0) {
      block.resize(want);
      ssize_t n = ::pread(m.fd, block.data(), want, static_cast<off_t>(m.offset + pos));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        ec = n < 0 ? last_error() : std::make_error_code(std::errc::io_error);
        break;
      }
      chunk = std::string_view(block.data(), static_cast<std::size_t>(n));
    } else {
      chunk = m.bytes.substr(static_cast<std::size_t>(pos), want);
    }
    pos += chunk.size();
    if (m.filter) {
      filtered.clear();
      m.filter(chunk, false, filtered);
      append_data(filtered);
    } else {
      append_data(chunk);
    }
    if (buf.size() >= kBlock) {
      ec = write_all(fd, buf);
      written += buf.size();
      buf.clear();
    }
  }
  if (!ec && m.filter) {
    filtered.clear();
    m.filter({}, true, filtered);
    append_data(filtered);
  }
  if (!ec && !buf.empty()) {
    ec = write_all(fd, buf);
    written += buf.size();
  }
  out.size = written + bare;
  if (!ec && m.internal_date) {
    // The file's modification time is the INTERNALDATE (as other Maildir servers keep it):
    // an index rebuilt from the files gets it back.
    const timespec times[2] = {{0, UTIME_OMIT}, {static_cast<time_t>(*m.internal_date), 0}};
    if (::futimens(fd, times) != 0) ec = last_error();
  }
  if (!ec && durable && ::fdatasync(fd) != 0) ec = last_error();
  if (!ec && written == buf.size()) {
    // A message that fit in the buffer (all but large ones) is still in memory: no mapping.
    compute_cache(buf, out.cache);
  } else if (!ec) {
    std::uint64_t imap_size = 0;
    ec = cache_of_fd(fd, written, out.cache, imap_size);
  }
  if (::close(fd) != 0 && !ec) ec = last_error();
  if (ec) ::unlink(out.tmp_path.c_str());
  return ec;
}

std::error_code read_message_file(const std::filesystem::path& path, CachedFields& cache,
                                  std::uint64_t& size, std::uint64_t& file_size,
                                  std::int64_t& mtime) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return last_error();
  struct stat st {};
  std::error_code ec;
  if (::fstat(fd, &st) != 0) ec = last_error();
  if (!ec) {
    file_size = static_cast<std::uint64_t>(st.st_size);
    mtime = st.st_mtim.tv_sec;
    ec = cache_of_fd(fd, file_size, cache, size);
  }
  ::close(fd);
  return ec;
}

std::unique_ptr<Blob> make_file_blob(int fd, std::uint64_t size) {
  return std::make_unique<FileBlob>(fd, size);
}

}  // namespace estafeta::store
