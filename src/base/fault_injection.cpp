// fault_injection: see the header. The variable is read once; the counter is atomic.
#include "base/fault_injection.hpp"

#ifdef ESTAFETA_FAULT_INJECTION
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <charconv>
#include <cstdlib>
#include <mutex>
#include <string>

#include "base/log.hpp"

namespace estafeta::fault {
namespace {

struct Target {
  std::string name;
  long nth = 1;
  std::atomic<long> seen{0};
};

Target& target() {
  static Target t;
  static std::once_flag once;
  std::call_once(once, [] {
    const char* env = std::getenv("ESTAFETA_CRASH_AT");
    if (!env) return;
    std::string_view v(env);
    auto colon = v.find(':');
    t.name = std::string(v.substr(0, colon));
    if (colon != std::string_view::npos) {
      std::string_view n = v.substr(colon + 1);
      std::from_chars(n.data(), n.data() + n.size(), t.nth);
    }
  });
  return t;
}

}  // namespace

void point(std::string_view name) {
  Target& t = target();
  if (t.name.empty() || t.name != name) return;
  if (t.seen.fetch_add(1) + 1 != t.nth) return;
  log::warn("fault", "crash point {} reached: killing the process (ESTAFETA_CRASH_AT)", name);
  ::kill(::getpid(), SIGKILL);
  ::_exit(137);
}

}  // namespace estafeta::fault
#endif
