// cli_password: reading a new password for `user add` / `user passwd`: twice from /dev/tty
// with echo off (termios; echo is restored on every path, also on SIGINT/SIGTERM), or one
// line from standard input (--password-stdin). Passwords are secrets: kept only in memory,
// scrubbed after hashing, never printed. Bounded by auth::kMaxPasswordLength.
#pragma once

#include <string>

namespace estafeta::cli {

// Fills `password`; on failure returns a one-line reason ("passwords do not match").
std::string prompt_new_password(std::string& password);
std::string read_password_stdin(std::string& password);

// Overwrites the string's bytes before it is released.
void scrub(std::string& secret);

}  // namespace estafeta::cli
