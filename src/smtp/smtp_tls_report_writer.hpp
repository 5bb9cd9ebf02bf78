// smtp_tls_report_writer: appends TLS-RPT event lines (smtp/proto/smtp_tls_report.hpp) to a
// per-day file in a directory (<data_dir>/tls-rpt/YYYY-MM-DD.jsonl, made 0700, files 0600),
// for a later report generator to count (RFC 8460 §4). Blocking (file I/O): the outbound
// transport calls it on its worker pool, never on an io thread. Thread-safe (a mutex; each
// line is one write(2) with O_APPEND). A write that fails is logged once per failure and
// dropped: reports are best effort and never hold up mail. Memory: one line at a time.
#pragma once

#include <mutex>
#include <string>

#include "smtp/proto/smtp_tls_report.hpp"

namespace estafeta::smtp {

class TlsReportWriter {
 public:
  explicit TlsReportWriter(std::string dir) : dir_(std::move(dir)) {}
  // Appends `e` to its day file; false when it could not (the reason is logged).
  bool append(const TlsReportEvent& e);
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
  std::mutex mutex_;
};

}  // namespace estafeta::smtp
