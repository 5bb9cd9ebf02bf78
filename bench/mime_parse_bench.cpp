// mime_parse_bench: throughput of a full MIME structure parse — every part found, every
// header field of every part decoded (unfolded, RFC 2047) — by estafeta_mime and by GMime 3
// doing the same work in the same run, on two synthetic corpora: small messages (~4 KB:
// multipart/alternative with encoded headers and an inline image) and large ones (a 5 MB
// base64 attachment). Prints MB/s, messages/s and the ratio, as a Markdown table for
// bench/RESULTS.md. Inputs are generated here, so the run needs no files. Timing alternates
// between the two in short slices and reports medians, to be fair on a loaded machine.
// Usage: mime_parse_bench [seconds-per-case]   (default 6)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "base/base64.hpp"
#include "mime/mime_header.hpp"
#include "mime/mime_parser.hpp"

#ifdef ESTAFETA_HAVE_GMIME
#include <gmime/gmime.h>
#endif

using namespace estafeta;

namespace {

std::string small_message(int i) {
  std::string body_text;
  for (int l = 0; l < 20; ++l)
    body_text += "Line " + std::to_string(l) + " of message " + std::to_string(i) +
                 ": the quick brown fox jumps over the lazy dog.\r\n";
  std::string img = base64::encode(std::string(600, static_cast<char>(i & 0xff)), 76) + "\r\n";
  std::string m = "Return-Path: <sender" + std::to_string(i) +
                  "@example.org>\r\n"
                  "Received: from mail.example.org (mail.example.org [192.0.2.1])\r\n\tby "
                  "mx.example.net with ESMTPS id abc" +
                  std::to_string(i) +
                  "\r\n\tfor <rcpt@example.net>; Sat, 28 Nov 2026 03:17:28 +0000\r\n"
                  "From: =?utf-8?q?J=C3=B6rg_M=C3=BCller?= <joerg@example.org>\r\n"
                  "To: Alice <alice@example.net>, bob@example.net\r\n"
                  "Cc: \"Carol, C.\" <carol@example.net>\r\n"
                  "Subject: =?utf-8?b?R3LDvMOfZSBhdXMgS8O2bG4=?= #" +
                  std::to_string(i) +
                  "\r\n"
                  "Date: Sat, 28 Nov 2026 03:17:28 +0000\r\n"
                  "Message-ID: <" +
                  std::to_string(i) +
                  ".bench@example.org>\r\n"
                  "MIME-Version: 1.0\r\n"
                  "Content-Type: multipart/related; boundary=\"=_rel_" +
                  std::to_string(i) +
                  "\"\r\n\r\n"
                  "--=_rel_" +
                  std::to_string(i) +
                  "\r\n"
                  "Content-Type: multipart/alternative; boundary=\"=_alt\"\r\n\r\n"
                  "--=_alt\r\nContent-Type: text/plain; "
                  "charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" +
                  body_text +
                  "--=_alt\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<html><body><p>" +
                  body_text +
                  "</p></body></html>\r\n--=_alt--\r\n"
                  "--=_rel_" +
                  std::to_string(i) +
                  "\r\n"
                  "Content-Type: image/png; name=\"dot.png\"\r\nContent-ID: <dot@example.org>\r\n"
                  "Content-Disposition: inline; filename=\"dot.png\"\r\nContent-Transfer-Encoding: "
                  "base64\r\n\r\n" +
                  img + "--=_rel_" + std::to_string(i) + "--\r\n";
  return m;
}

std::string large_message(int i) {
  std::string payload(5 * 1024 * 1024, '\0');
  std::uint32_t x = 2463534242u + static_cast<std::uint32_t>(i);
  for (char& c : payload) {  // xorshift: incompressible bytes
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    c = static_cast<char>(x);
  }
  return "From: big@example.org\r\nTo: rcpt@example.net\r\nSubject: "
         "=?utf-8?q?large_attachment?=\r\n"
         "Date: Sat, 28 Nov 2026 03:17:28 +0000\r\nMIME-Version: 1.0\r\n"
         "Content-Type: multipart/mixed; boundary=\"BIG\"\r\n\r\n"
         "--BIG\r\nContent-Type: text/plain\r\n\r\nSee the attachment.\r\n"
         "--BIG\r\nContent-Type: application/octet-stream; name=\"data.bin\"\r\n"
         "Content-Disposition: attachment; filename=\"data.bin\"\r\nContent-Transfer-Encoding: "
         "base64\r\n\r\n" +
         base64::encode(payload, 76) + "\r\n--BIG--\r\n";
}

// Our full parse: structure plus every field decoded. Returns a checksum so nothing is elided.
std::size_t estafeta_parse(const std::string& msg) {
  mime::Message m = mime::parse(msg);
  std::size_t sum = m.parts.size();
  for (const mime::HeaderField& f : m.fields) sum += mime::decoded_value(f.value).size();
  return sum;
}

#ifdef ESTAFETA_HAVE_GMIME
std::size_t gmime_visit(GMimeObject* obj, int depth);

std::size_t gmime_headers(GMimeObject* obj) {
  std::size_t sum = 0;
  GMimeHeaderList* list = g_mime_object_get_header_list(obj);
  int n = g_mime_header_list_get_count(list);
  for (int i = 0; i < n; ++i) {
    GMimeHeader* h = g_mime_header_list_get_header_at(list, i);
    const char* v = g_mime_header_get_value(h);  // unfolded and RFC 2047-decoded
    if (v != nullptr) sum += std::strlen(v);
  }
  return sum;
}

std::size_t gmime_visit(GMimeObject* obj, int depth) {
  if (obj == nullptr || depth > 100) return 0;
  std::size_t sum = 1 + gmime_headers(obj);
  if (GMIME_IS_MULTIPART(obj)) {
    GMimeMultipart* mp = GMIME_MULTIPART(obj);
    int n = g_mime_multipart_get_count(mp);
    for (int i = 0; i < n; ++i) sum += gmime_visit(g_mime_multipart_get_part(mp, i), depth + 1);
  } else if (GMIME_IS_MESSAGE_PART(obj)) {
    GMimeMessage* inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));
    if (inner != nullptr) {
      sum += gmime_headers(GMIME_OBJECT(inner));
      sum += gmime_visit(g_mime_message_get_mime_part(inner), depth + 1);
    }
  }
  return sum;
}

std::size_t gmime_parse(const std::string& msg) {
  GMimeStream* stream = g_mime_stream_mem_new_with_buffer(msg.data(), msg.size());
  GMimeParser* parser = g_mime_parser_new_with_stream(stream);
  GMimeMessage* m = g_mime_parser_construct_message(parser, nullptr);
  std::size_t sum = 0;
  if (m != nullptr) {
    sum += gmime_headers(GMIME_OBJECT(m));
    sum += gmime_visit(g_mime_message_get_mime_part(m), 0);
    g_object_unref(m);
  }
  g_object_unref(parser);
  g_object_unref(stream);
  return sum;
}
#endif

struct Figures {
  double mb_s = 0;
  double msg_s = 0;
};

// One timed slice: whole passes over the corpus for at least `seconds`.
template <class F>
Figures slice(const std::vector<std::string>& corpus, std::size_t bytes, double seconds, F&& fn) {
  volatile std::size_t sink = 0;
  auto t0 = std::chrono::steady_clock::now();
  std::size_t passes = 0;
  double elapsed = 0;
  do {
    for (const auto& m : corpus) sink = sink + fn(m);
    ++passes;
    elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  } while (elapsed < seconds);
  Figures f;
  f.mb_s = static_cast<double>(bytes * passes) / elapsed / 1e6;
  f.msg_s = static_cast<double>(corpus.size() * passes) / elapsed;
  return f;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

// The machine is shared, so load changes during a run: the two parsers are timed in
// alternating short slices and each figure (and the ratio, taken per slice pair) is the
// median over the rounds.
template <class A, class B>
void compare(const char* name, const std::vector<std::string>& corpus, double seconds, A&& ours,
             B&& theirs) {
  std::size_t bytes = 0;
  for (const auto& m : corpus) bytes += m.size();
  const int rounds = 15;
  std::vector<double> a_mb, a_msg, b_mb, b_msg, ratio;
  for (int r = 0; r < rounds; ++r) {
    Figures a = slice(corpus, bytes, seconds / rounds / 2, ours);
    a_mb.push_back(a.mb_s);
    a_msg.push_back(a.msg_s);
#ifdef ESTAFETA_HAVE_GMIME
    Figures b = slice(corpus, bytes, seconds / rounds / 2, theirs);
    b_mb.push_back(b.mb_s);
    b_msg.push_back(b.msg_s);
    ratio.push_back(a.mb_s / b.mb_s);
#else
    (void)theirs;
#endif
  }
#ifdef ESTAFETA_HAVE_GMIME
  std::printf("| %s | %.0f | %.0f | %.0f | %.0f | %.1fx |\n", name, median(a_mb), median(a_msg),
              median(b_mb), median(b_msg), median(ratio));
#else
  std::printf("| %s | %.0f | %.0f | n/a | n/a | n/a |\n", name, median(a_mb), median(a_msg));
#endif
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = argc > 1 ? std::atof(argv[1]) : 6.0;
  if (seconds <= 0) seconds = 6.0;
  std::vector<std::string> small, large;
  for (int i = 0; i < 500; ++i) small.push_back(small_message(i));
  for (int i = 0; i < 3; ++i) large.push_back(large_message(i));
  std::size_t small_bytes = 0;
  for (const auto& m : small) small_bytes += m.size();
#ifdef ESTAFETA_HAVE_GMIME
  g_mime_init();
#endif
  std::printf(
      "| corpus | Estafeta MB/s | Estafeta msg/s | GMime 3 MB/s | GMime 3 msg/s | ratio |\n");
  std::printf("|---|---:|---:|---:|---:|---:|\n");
  struct Case {
    const char* name;
    const std::vector<std::string>* corpus;
  };
  char small_name[64];
  std::snprintf(small_name, sizeof small_name, "small (%zu x %.1f KB)", small.size(),
                static_cast<double>(small_bytes) / static_cast<double>(small.size()) / 1024.0);
  char large_name[64];
  std::snprintf(large_name, sizeof large_name, "large (%zu x %.1f MB)", large.size(),
                static_cast<double>(large[0].size()) / 1e6);
  for (const Case& c : {Case{small_name, &small}, Case{large_name, &large}}) {
#ifdef ESTAFETA_HAVE_GMIME
    compare(c.name, *c.corpus, seconds, estafeta_parse, gmime_parse);
#else
    compare(c.name, *c.corpus, seconds, estafeta_parse, estafeta_parse);
#endif
  }
#ifdef ESTAFETA_HAVE_GMIME
  g_mime_shutdown();
#endif
  return 0;
}
