// queue_control: see the header. Request files are written to a temporary name and renamed,
// so a reader sees a whole id or nothing.
#include "queue/queue_control.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <optional>

namespace estafeta::queue {
namespace {

namespace fs = std::filesystem;

// Names we write and read: a spool entry name (hex digits and dots) or "all".
bool safe_name(std::string_view n) {
  if (n.empty() || n.size() > 200 || n[0] == '.') return false;
  for (char c : n)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || c == '.')) return false;
  return true;
}

std::string read_small(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::string s;
  char buf[512];
  in.read(buf, sizeof buf);
  s.assign(buf, static_cast<std::size_t>(in.gcount()));
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

std::string write_request(const fs::path& spool_dir, std::string_view kind, const std::string& name,
                          const std::string& id) {
  fs::path dir = control_dir(spool_dir) / kind;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return "cannot create " + dir.string() + ": " + ec.message();
  ::chmod(control_dir(spool_dir).c_str(), 0700);
  fs::path tmp = dir / ("." + name + ".tmp");
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << id << '\n';
    if (!out) return "cannot write " + tmp.string();
  }
  fs::rename(tmp, dir / name, ec);
  if (ec) return "cannot write " + (dir / name).string() + ": " + ec.message();
  return "";
}

// The entry `which` names (entry name or queue id), or an error line.
std::optional<SpoolEntry> find_entry(const Spool& spool, std::string_view which,
                                     std::string& error) {
  if (which.empty()) {
    error = "an empty ID names no message (estafeta queue list shows the IDs)";
    return std::nullopt;
  }
  std::string name(which);
  if (safe_name(name) && name.find('/') == std::string::npos) {
    std::string ignored;
    if (auto e = spool.load(name, ignored)) return e;
  }
  std::vector<std::string> errors;
  for (auto& e : spool.list(errors))
    if (e.envelope.id == which) return std::move(e);
  error = "no message " + std::string(which) + " in the queue";
  return std::nullopt;
}

std::map<std::string, std::string> read_requests(const fs::path& dir) {
  std::map<std::string, std::string> out;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::string n = it->path().filename().string();
    if (!safe_name(n)) continue;  // temporary files
    out.emplace(n, read_small(it->path()));
  }
  return out;
}

}  // namespace

fs::path control_dir(const fs::path& spool_dir) {
  fs::path d = spool_dir;
  if (!d.has_filename()) d = d.parent_path();  // "spool/"
  return d.parent_path() / "spool-control";
}

std::string hold_message(const Spool& spool, std::string_view which) {
  std::string error;
  auto e = find_entry(spool, which, error);
  if (!e) return error;
  return write_request(spool.dir(), "hold", e->name, e->envelope.id);
}

std::string release_message(const Spool& spool, std::string_view which) {
  std::string error;
  auto e = find_entry(spool, which, error);
  if (!e) return error;
  std::error_code ec;
  if (!fs::remove(control_dir(spool.dir()) / "hold" / e->name, ec) && !ec)
    return "message " + e->envelope.id + " is not on hold";
  if (ec) return "cannot release " + e->envelope.id + ": " + ec.message();
  return "";
}

std::string retry_messages(const Spool& spool, std::string_view which) {
  if (which.empty()) return write_request(spool.dir(), "retry", "all", "all");
  std::string error;
  auto e = find_entry(spool, which, error);
  if (!e) return error;
  return write_request(spool.dir(), "retry", e->name, e->envelope.id);
}

std::string delete_message(Spool& spool, std::string_view which) {
  std::string error;
  auto e = find_entry(spool, which, error);
  if (!e) return error;
  if (auto ec = spool.remove(e->name))
    return "cannot delete " + e->envelope.id + ": " + ec.message();
  forget_requests(spool.dir(), e->name);
  return "";
}

bool is_held(const fs::path& spool_dir, const SpoolEntry& entry) {
  return hold_requested(spool_dir, entry.name, entry.envelope.id);
}

ControlRequests read_control(const fs::path& spool_dir) {
  ControlRequests r;
  fs::path dir = control_dir(spool_dir);
  r.held = read_requests(dir / "hold");
  r.retry = read_requests(dir / "retry");
  if (r.retry.erase("all")) r.retry_all = true;
  return r;
}

bool hold_requested(const fs::path& spool_dir, const std::string& name, const std::string& id) {
  if (!safe_name(name)) return false;
  fs::path p = control_dir(spool_dir) / "hold" / name;
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0) return false;
  return read_small(p) == id;
}

void consume_retry(const fs::path& spool_dir, const std::string& name) {
  if (!safe_name(name)) return;
  std::error_code ec;
  fs::remove(control_dir(spool_dir) / "retry" / name, ec);
}

void forget_requests(const fs::path& spool_dir, const std::string& name) {
  if (!safe_name(name) || name == "all") return;
  fs::path dir = control_dir(spool_dir);
  std::error_code ec;
  fs::remove(dir / "hold" / name, ec);
  fs::remove(dir / "retry" / name, ec);
}

}  // namespace estafeta::queue
