// fault_injection: named crash points for the crash-safety tests. When the environment
// variable ESTAFETA_CRASH_AT names a point (e.g. "spool-after-commit") and the build has
// ESTAFETA_FAULT_INJECTION (every non-Release build), reaching that point logs one line and
// kills the process with SIGKILL, exactly as a power cut or kill -9 would stop it there.
// "name:N" fires on the N-th time the point is reached (1-based). In Release builds every
// point compiles to nothing. Thread-safe.
#pragma once

#include <string_view>

namespace estafeta::fault {

#ifdef ESTAFETA_FAULT_INJECTION
void point(std::string_view name);
#else
inline void point(std::string_view) {}
#endif

}  // namespace estafeta::fault
