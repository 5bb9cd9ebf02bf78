// standalone_main: lets every fuzz target build and run without libFuzzer. Each argument is a
// file or a directory of files; each file is passed once to LLVMFuzzerTestOneInput. Used by
// ordinary builds so the seed corpora run as tests and the targets cannot rot.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

static int run_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  return 1;
}

int main(int argc, char** argv) {
  int runs = 0;
  for (int i = 1; i < argc; ++i) {
    std::filesystem::path p(argv[i]);
    if (std::filesystem::is_directory(p)) {
      for (const auto& e : std::filesystem::recursive_directory_iterator(p))
        if (e.is_regular_file()) runs += run_file(e.path());
    } else if (std::filesystem::exists(p)) {
      runs += run_file(p);
    } else {
      std::fprintf(stderr, "no such seed file or directory: %s\n", argv[i]);
      return 2;
    }
  }
  // An empty input is always a valid case.
  LLVMFuzzerTestOneInput(nullptr, 0);
  std::printf("%d inputs replayed\n", runs + 1);
  return 0;
}
