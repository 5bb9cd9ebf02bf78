// smtp_tls_rpt_sender: TLS reports from the day files to the queue (see the header).
#include "smtp/smtp_tls_rpt_sender.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <memory>
#include <random>
#include <vector>

#include "base/log.hpp"
#include "dns/proto/dns_answer.hpp"
#include "mime/mime_date.hpp"
#include "smtp/proto/smtp_tls_report.hpp"
#include "smtp/proto/smtp_tls_rpt_record.hpp"
#include "smtp/proto/smtp_tls_rpt_report.hpp"

namespace estafeta::smtp {
namespace fs = std::filesystem;

namespace {

constexpr std::int64_t kDay = 86400;
constexpr std::int64_t kKeepReported = 31 * kDay;
constexpr const char* kRequest = "send-now";

// "YYYY-MM-DD" at the start of `name` to unix seconds of that day's 00:00:00Z; -1 if not.
std::int64_t day_start(std::string_view name) {
  if (name.size() < 10 || name[4] != '-' || name[7] != '-') return -1;
  int v[3] = {0, 0, 0};
  const std::size_t pos[3][2] = {{0, 4}, {5, 2}, {8, 2}};
  for (int k = 0; k < 3; ++k)
    for (std::size_t i = pos[k][0]; i < pos[k][0] + pos[k][1]; ++i) {
      if (name[i] < '0' || name[i] > '9') return -1;
      v[k] = v[k] * 10 + (name[i] - '0');
    }
  if (v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > 31) return -1;
  // Days from civil (H. Hinnant's algorithm).
  const int y = v[0] - (v[1] <= 2 ? 1 : 0);
  const int era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned m = static_cast<unsigned>(v[1]);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + static_cast<unsigned>(v[2]) - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  const std::int64_t days = static_cast<std::int64_t>(era) * 146097 + doe - 719468;
  std::int64_t t = days * kDay;
  if (tls_report_file_name(t).substr(0, 10) != name.substr(0, 10)) return -1;  // 02-31 etc.
  return t;
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// Calls `line` for each line of `path` up to kMaxTlsReportLine octets (longer ones skipped),
// reading through a 64 KiB buffer. False when the file cannot be read.
template <typename F>
bool for_each_line(const fs::path& path, F&& line) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return false;
  std::string buf(64 * 1024, '\0'), current;
  bool too_long = false;
  for (;;) {
    const ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    for (ssize_t i = 0; i < n; ++i) {
      const char c = buf[static_cast<std::size_t>(i)];
      if (c == '\n') {
        if (!too_long) line(std::string_view(current));
        current.clear();
        too_long = false;
      } else if (!too_long) {
        current += c;
        if (current.size() > kMaxTlsReportLine) {
          too_long = true;
          current.clear();
        }
      }
    }
  }
  ::close(fd);
  if (!too_long && !current.empty()) line(std::string_view(current));
  return true;
}

std::string random_token() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  static const char* digits = "0123456789abcdefghijklmnopqrstuv";
  std::string out;
  for (std::uint64_t v = rng(), i = 0; i < 12; ++i, v >>= 5) out += digits[v & 31];
  return out;
}

}  // namespace

std::string gzip(std::string_view data) {
  z_stream zs{};
  if (deflateInit2(&zs, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    return "";
  std::string out(deflateBound(&zs, static_cast<uLong>(data.size())) + 32, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&zs, Z_FINISH);
  const std::size_t produced = zs.total_out;
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) return "";
  out.resize(produced);
  return out;
}

std::string request_tls_reports(const fs::path& dir) {
  std::error_code ec;
  if (fs::create_directories(dir, ec)) ::chmod(dir.c_str(), 0700);  // as the writer makes it
  if (ec) return "cannot create " + dir.string() + ": " + ec.message();
  const fs::path p = dir / kRequest;
  const int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return "cannot write " + p.string() + ": " + std::strerror(errno);
  ::close(fd);
  return "";
}

TlsRptSender::TlsRptSender(TlsRptSenderOptions options, Inject inject)
    : options_(std::move(options)), inject_(std::move(inject)) {
  if (options_.organization.empty()) options_.organization = options_.hostname;
  if (options_.contact.empty()) options_.contact = "mailto:postmaster@" + options_.hostname;
}

TlsRptSender::~TlsRptSender() {
  stop();
}

void TlsRptSender::start() {
  ::mkdir(options_.dir.c_str(), 0700);
  thread_ = std::thread([this] { loop(); });
}

void TlsRptSender::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void TlsRptSender::loop() {
  const std::int64_t interval = options_.interval.count();
  // Runs at whole multiples of the interval plus 5 minutes (00:05 UTC for a day): late
  // lines of the day before are in by then.
  auto next_after = [interval](std::int64_t t) {
    return (t - 300) / interval * interval + interval + 300;
  };
  std::int64_t next = 0;
  if (interval > 0) {
    const auto now = static_cast<std::int64_t>(std::time(nullptr));
    run_once(false, now);  // complete days left from before (the server was down)
    next = next_after(now);
  }
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    wake_.wait_for(lock, std::chrono::seconds(5));
    if (stopping_) break;
    lock.unlock();
    const auto now = static_cast<std::int64_t>(std::time(nullptr));
    std::error_code ec;
    if (fs::exists(options_.dir / kRequest, ec)) {
      // A request that stays (not ours to remove) would send reports every 5 s: ignored.
      if (!fs::remove(options_.dir / kRequest, ec) || ec) {
        log::warn("tls-rpt", "cannot remove {}: {}; the request is ignored",
                  (options_.dir / kRequest).string(), ec ? ec.message() : "gone");
      } else {
        log::info("tls-rpt", "sending reports now, as asked");
        run_once(true, now);
      }
    }
    if (interval > 0 && now >= next) {
      run_once(false, now);
      next = next_after(now);
    }
    lock.lock();
  }
}

std::size_t TlsRptSender::run_once(bool everything, std::int64_t now) {
  const std::string today = tls_report_file_name(now).substr(0, 10);
  std::vector<fs::path> take;
  std::error_code ec;
  for (fs::directory_iterator it(options_.dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    std::error_code fec;
    if (!it->is_regular_file(fec)) continue;
    const std::int64_t day = day_start(name);
    if (day < 0) continue;
    if (name.size() == 16 && ends_with(name, ".jsonl")) {
      if (!everything && name.substr(0, 10) >= today) continue;
      const fs::path to =
          options_.dir / (name.substr(0, 10) + "." + std::to_string(now) + ".sending");
      fs::rename(it->path(), to, fec);
      if (fec)
        log::warn("tls-rpt", "cannot rename {}: {}", it->path().string(), fec.message());
      else
        take.push_back(to);
    } else if (ends_with(name, ".sending")) {
      take.push_back(it->path());  // left by a run that did not finish
    } else if (ends_with(name, ".reported") && day + kKeepReported < now) {
      fs::remove(it->path(), fec);
    }
  }
  if (ec) {
    log::warn("tls-rpt", "cannot list {}: {}", options_.dir.string(), ec.message());
    return 0;
  }
  std::sort(take.begin(), take.end());
  take.erase(std::unique(take.begin(), take.end()), take.end());
  if (take.empty()) return 0;
  std::function<dns::TxtAnswer(const std::string&)> lookup = options_.lookup_txt;
  std::unique_ptr<dns::Resolver> resolver;
  if (!lookup) {
    std::string error;
    resolver = dns::Resolver::create(options_.resolver, error);
    if (!resolver) {
      // Without DNS there is no rua to send to: keep the files (.sending) for the next run.
      log::warn("tls-rpt", "no DNS resolver for the report addresses: {}", error);
      return 0;
    }
    lookup = [r = resolver.get()](const std::string& name) {
      return dns::to_txt(r->lookup(name, dns::RecordType::txt));
    };
  }
  std::size_t sent = 0;
  for (const auto& file : take) sent += report_file(file, lookup, now);
  return sent;
}

std::size_t TlsRptSender::report_file(
    const fs::path& file, const std::function<dns::TxtAnswer(const std::string&)>& lookup,
    std::int64_t now) {
  const std::string name = file.filename().string();
  const std::int64_t day = day_start(name);
  // The cut time is in the name (YYYY-MM-DD.<unix>.sending): the data ends there.
  std::int64_t cut = day + kDay - 1;
  if (auto dot = name.find('.', 11); dot != std::string::npos && dot > 11) {
    const std::string digits = name.substr(11, dot - 11);
    if (digits.find_first_not_of("0123456789") == std::string::npos && digits.size() < 19)
      cut = std::min(cut, static_cast<std::int64_t>(std::stoll(digits)));
  }
  // A day reported in parts (`queue tls-report` during the day): this part starts after the
  // last one reported.
  std::int64_t start = day;
  std::error_code lec;
  for (fs::directory_iterator it(file.parent_path(), lec), end; !lec && it != end;
       it.increment(lec)) {
    const std::string other = it->path().filename().string();
    if (other.substr(0, 11) != name.substr(0, 11) || !ends_with(other, ".reported")) continue;
    const std::string digits = other.substr(11, other.size() - 11 - 9);
    if (digits.empty() || digits.size() > 18 ||
        digits.find_first_not_of("0123456789") != std::string::npos)
      continue;
    const std::int64_t earlier = std::stoll(digits);
    if (earlier < cut && earlier + 1 > start) start = earlier + 1;
  }
  TlsRptAggregate agg;
  std::size_t bad = 0;
  const bool read = for_each_line(file, [&](std::string_view line) {
    if (line.empty()) return;
    if (auto e = parse_tls_report_line(line))
      agg.add(*e);
    else
      ++bad;
  });
  if (!read) {
    log::warn("tls-rpt", "cannot read {}: {}", file.string(), std::strerror(errno));
    return 0;
  }
  if (bad) log::warn("tls-rpt", "{}: {} lines skipped (not TLS-RPT data)", file.string(), bad);
  if (agg.dropped())
    log::warn("tls-rpt", "{}: {} events of domains past the 10000th not reported", file.string(),
              agg.dropped());
  std::size_t sent = 0;
  for (const auto& [domain, d] : agg.domains()) {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return sent;  // the file stays .sending: reported at the next start
    }
    const dns::TxtAnswer txt = lookup(tls_rpt_record_name(domain));
    std::optional<TlsRptRecord> record;
    if (txt.status == dns::AnswerStatus::data) record = select_tls_rpt_record(txt.records);
    if (!record) {
      log::debug("tls-rpt", "{}: no TLS-RPT record at {}: not reported", domain,
                 tls_rpt_record_name(domain));
      continue;
    }
    for (const auto& uri : record->https)
      log::info("tls-rpt", "{}: rua {} not used (https reports are not sent)", domain, uri);
    TlsRptInfo info;
    info.organization = options_.organization;
    info.contact = options_.contact;
    info.submitter = options_.hostname;
    info.start = start;
    info.end = std::max(start, cut);
    info.report_id = tls_rpt_datetime(start) + "_" + std::to_string(info.end) + "+" + domain + "@" +
                     options_.hostname;
    const std::string gz = gzip(build_tls_rpt_json(d, info));
    if (gz.empty()) {
      log::warn("tls-rpt", "{}: cannot compress the report", domain);
      continue;
    }
    for (const auto& to : record->mailto) {
      TlsRptMail mail;
      mail.from = "postmaster@" + options_.hostname;
      mail.to = to;
      mail.date = mime::format_date(mime::date_from_unix(now));
      mail.message_id = "tlsrpt." + random_token() + "@" + options_.hostname;
      mail.boundary = "=_tlsrpt_" + random_token();
      const std::string message = build_tls_rpt_message(d, info, mail, gz);
      if (auto ec = inject_("", to, message)) {
        log::warn("tls-rpt", "{}: cannot queue the report to {}: {}", domain, to, ec.message());
        continue;
      }
      log::info("tls-rpt", "{}: report {} queued for {}", domain, info.report_id, to);
      ++sent;
    }
  }
  std::error_code ec;
  fs::path done = file;
  done.replace_extension(".reported");
  fs::rename(file, done, ec);
  if (ec) log::warn("tls-rpt", "cannot rename {}: {}", file.string(), ec.message());
  return sent;
}

}  // namespace estafeta::smtp
