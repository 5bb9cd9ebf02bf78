// mime_dump: prints what estafeta_mime makes of a message as one JSON object, for the
// differential test against Python's email package (test_mime_differential.py) and the
// Dovecot comparison (test_mime_dovecot.py). The rendering is mime::message_to_json
// (src/mime/mime_json.hpp, which documents the layout); `estafeta mime json` prints the same.
// Input: a file named on the command line (untrusted test data; read whole into memory).
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>

#include "mime/mime_json.hpp"
#include "mime/mime_parser.hpp"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: mime_dump FILE\n");
    return 2;
  }
  std::ifstream in(argv[1], std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "cannot open %s\n", argv[1]);
    return 2;
  }
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  estafeta::mime::Message m = estafeta::mime::parse(data);
  std::string out = estafeta::mime::message_to_json(m);
  out.push_back('\n');
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}
