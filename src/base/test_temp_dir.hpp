// test_temp_dir: TempDir, a fresh directory under the system temp dir for one test, removed
// with everything in it when the object goes away. Test support only (header-only, included
// by *_test.cpp files and test helpers; nothing in a library uses it).
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>

namespace estafeta::testing {

class TempDir {
 public:
  explicit TempDir(std::string_view prefix = "estafeta-test") {
    std::string tmpl =
        (std::filesystem::temp_directory_path() / (std::string(prefix) + "-XXXXXX")).string();
    if (::mkdtemp(tmpl.data()) != nullptr) path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  // Empty when the directory could not be made.
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace estafeta::testing
