// cli_cert: `estafeta cert ...`, S/MIME certificates from the command line (cmd_cert.cpp):
// a small CA (`ca`, `issue`, `crl`), the user's certificate store (`import`, `list`,
// `export`) and checking a message (`inspect`). Needs no server configuration: main()
// dispatches it before any configuration is read, as it does `mail`.
#pragma once

#include <string>
#include <vector>

namespace estafeta::cli {

// `estafeta cert ARGS...`: the exit code (0 success; 1 an error, one "estafeta: ..." line;
// `inspect` returns 3 when a signature is not valid or a layer could not be unwrapped).
int run_cert(const std::vector<std::string>& args);

}  // namespace estafeta::cli
