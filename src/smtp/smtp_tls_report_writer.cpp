// smtp_tls_report_writer: TLS-RPT day files (see the header).
#include "smtp/smtp_tls_report_writer.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/log.hpp"

namespace estafeta::smtp {

bool TlsReportWriter::append(const TlsReportEvent& e) {
  const std::string line = tls_report_line(e);
  const std::string path = dir_ + "/" + tls_report_file_name(e.time);
  std::lock_guard lock(mutex_);
  if (::mkdir(dir_.c_str(), 0700) != 0 && errno != EEXIST) {
    log::warn("relay", "tls-rpt: cannot make {}: {}", dir_, std::strerror(errno));
    return false;
  }
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    log::warn("relay", "tls-rpt: cannot open {}: {}", path, std::strerror(errno));
    return false;
  }
  const ssize_t n = ::write(fd, line.data(), line.size());
  const int err = errno;
  ::close(fd);
  if (n != static_cast<ssize_t>(line.size())) {
    log::warn("relay", "tls-rpt: cannot write {}: {}", path,
              n < 0 ? std::strerror(err) : "short write");
    return false;
  }
  return true;
}

}  // namespace estafeta::smtp
