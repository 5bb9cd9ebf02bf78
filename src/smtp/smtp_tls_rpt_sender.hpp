// smtp_tls_rpt_sender: sends the TLS reports (RFC 8460) of the sending MTA. The outbound
// transport records one line per connection attempt in <data_dir>/tls-rpt/YYYY-MM-DD.jsonl
// (smtp_tls_report_writer.hpp); this sender, on a thread of its own, turns the data into
// reports: after each UTC day (every `interval`, default one day, at 00:05 UTC for the
// default) the complete days not yet reported, and everything recorded so far when asked
// (`estafeta queue tls-report` leaves <data_dir>/tls-rpt/send-now; seen within 5 s). Per day
// file and policy domain it looks up the _smtp._tls TXT record (blocking libunbound), and for
// each mailto: rua builds the report (smtp/proto/smtp_tls_rpt_report.hpp), gzips it (zlib)
// and puts the mail into the queue through `inject` (queue::Pickup::inject, the null sender:
// a report never bounces back). https: rua URIs are not posted (logged). A day file taken
// for reporting is first renamed to YYYY-MM-DD.<unix time>.sending (the writer starts a new
// file), and to .reported once its mail is queued, so data is reported once (a crash in
// between sends that file's reports again at the next run); .reported files are removed
// after 31 days. Domains without a record are not reported.
// Blocking (file I/O, DNS): its own thread, never an io thread. Memory: one day file's
// aggregate at a time (bounded by TlsRptAggregate: 10000 domains, 100 failure groups per
// policy), lines read through a 64 KiB buffer (longer lines skipped).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>

#include "dns/dns_resolver.hpp"
#include "dns/proto/dns_answer.hpp"

namespace estafeta::smtp {

struct TlsRptSenderOptions {
  std::filesystem::path dir;             // <data_dir>/tls-rpt
  std::string hostname;                  // the submitter (§5.3 TLS-Report-Submitter)
  std::string organization;              // "organization-name"; "" = hostname
  std::string contact;                   // "contact-info"; "" = mailto:postmaster@<hostname>
  std::chrono::seconds interval{86400};  // automatic runs; 0 = only when asked
  dns::ResolverConfig resolver;
  // The TXT lookup of _smtp._tls names; empty (serve): a dns::Resolver made from `resolver`
  // per run. Tests answer from a table.
  std::function<dns::TxtAnswer(const std::string&)> lookup_txt;
};

class TlsRptSender {
 public:
  // `inject(mail_from, rcpt, message)` queues one report mail.
  using Inject =
      std::function<std::error_code(const std::string&, const std::string&, const std::string&)>;
  TlsRptSender(TlsRptSenderOptions options, Inject inject);
  ~TlsRptSender();
  TlsRptSender(const TlsRptSender&) = delete;
  TlsRptSender& operator=(const TlsRptSender&) = delete;

  // Makes the directory and starts the thread (which first reports complete days left).
  void start();
  void stop();
  // One run on the calling thread: reports the complete UTC days before `now` (with
  // `everything`, today's data too); returns the number of report mails queued.
  std::size_t run_once(bool everything, std::int64_t now);

 private:
  void loop();
  std::size_t report_file(const std::filesystem::path& file,
                          const std::function<dns::TxtAnswer(const std::string&)>& lookup,
                          std::int64_t now);

  TlsRptSenderOptions options_;
  Inject inject_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

// For `estafeta queue tls-report`: asks the server of `dir` (<data_dir>/tls-rpt) to send
// everything recorded now. "" or why the request could not be left.
std::string request_tls_reports(const std::filesystem::path& dir);

// gzip (RFC 1952) of `data` with zlib; "" on failure.
std::string gzip(std::string_view data);

}  // namespace estafeta::smtp
