// commands: the subcommands of the `estafeta` binary, one function each, called by main.cpp
// after CLI11 has parsed the arguments. Each returns the process exit code and prints its
// own errors (naming the file, key or argument at fault).
#pragma once

#include "config/config.hpp"

namespace estafeta::cli {

// `estafeta serve`: binds the listeners, drops privileges when root, serves until SIGTERM or
// SIGINT, then drains (cmd_serve.cpp).
int run_serve(const config::Config& config);

}  // namespace estafeta::cli
