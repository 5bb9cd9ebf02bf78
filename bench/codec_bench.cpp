// codec_bench: base64 and quoted-printable throughput of Estafeta's codecs next to OpenSSL's
// (EVP_DecodeBlock/EVP_EncodeBlock for unbroken input, EVP_DecodeUpdate/EVP_EncodeUpdate for
// line-broken input, as OpenSSL's block calls do not skip line breaks) and GMime's
// (g_mime_encoding_*_step) when GMime 3 is installed, all in the same run on the same data.
// Throughput is reported by Google Benchmark as bytes_per_second of the INPUT (encoded text
// for decoders, raw bytes for encoders). Data: pseudo-random bytes (fixed seed) of 1 MiB and
// 64 MiB; "lines" = MIME form, CRLF every 76 characters. Output buffers are allocated once
// outside the timed loop for every implementation alike.
// Run: cmake -S . -B build/bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DESTAFETA_BENCH=ON &&
//      ninja -C build/bench codec_bench && build/bench/bench/codec_bench
#include <benchmark/benchmark.h>
#include <openssl/evp.h>

#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "base/base64.hpp"
#include "base/quoted_printable.hpp"

#ifdef ESTAFETA_HAVE_GMIME
#include <gmime/gmime.h>
#endif

namespace estafeta::base64 {
// The scalar layers alone (what runs on CPUs without AVX2); exported for tests and this bench.
std::size_t decode_to_scalar_for_test(std::string_view in, char* out);
}  // namespace estafeta::base64

namespace {

using estafeta::base64::decode_to;
using estafeta::base64::decoded_size_max;

constexpr std::size_t kMiB = 1024 * 1024;

// Cached inputs by (size, kind).
struct Inputs {
  std::string raw;       // random bytes
  std::string plain;     // base64, no line breaks
  std::string lines;     // base64, CRLF every 76
  std::string text;      // escape-dense text: a third of the words need =XX escapes
  std::string qp;        // text, quoted-printable encoded
  std::string prose;     // mostly-ASCII prose: one word in 20 has an accented letter
  std::string qp_prose;  // prose, quoted-printable encoded
};

const Inputs& inputs(std::size_t size) {
  static std::map<std::size_t, Inputs> cache;
  auto it = cache.find(size);
  if (it != cache.end()) return it->second;
  Inputs in;
  std::mt19937_64 rng(42);
  in.raw.resize(size);
  for (std::size_t i = 0; i < size; i += 8) {
    uint64_t v = rng();
    for (std::size_t k = 0; k < 8 && i + k < size; ++k)
      in.raw[i + k] = static_cast<char>(v >> (8 * k));
  }
  in.plain = estafeta::base64::encode(in.raw);
  in.lines = estafeta::base64::encode(in.raw, 76);
  const char* words[] = {"the ",          "message ", "caf\xC3\xA9 ", "delivery ", "a=b ",
                         "\xE2\x82\xAC ", "quoted ",  "printable ",   "text ",     "line\n"};
  while (in.text.size() < size) in.text += words[rng() % 10];
  in.text.resize(size);
  in.qp = estafeta::qp::encode(in.text);
  const char* prose_words[] = {"the ",  "message ", "was ",       "delivered ",    "to ",
                               "your ", "mailbox ", "and ",       "then ",         "some ",
                               "more ", "words ",   "follow ",    "here ",         "in ",
                               "a ",    "long ",    "sentence. ", "na\xC3\xAFve ", "text\n"};
  while (in.prose.size() < size) in.prose += prose_words[rng() % 20];
  in.prose.resize(size);
  in.qp_prose = estafeta::qp::encode(in.prose);
  return cache.emplace(size, std::move(in)).first->second;
}

const std::string& pick(const Inputs& in, int kind) {
  return kind == 0 ? in.plain : in.lines;
}

void set_label(benchmark::State& state, int kind) {
  state.SetLabel(std::to_string(state.range(0)) + "MiB " + (kind == 0 ? "plain" : "lines"));
}

// ---- Estafeta ----

void BM_Estafeta_Base64Decode(benchmark::State& state) {
  const auto& in = pick(inputs(static_cast<std::size_t>(state.range(0)) * kMiB),
                        static_cast<int>(state.range(1)));
  std::vector<char> out(decoded_size_max(in.size()));
  for (auto _ : state) benchmark::DoNotOptimize(decode_to(in, out.data()));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * in.size()));
  set_label(state, static_cast<int>(state.range(1)));
}

void BM_Estafeta_Base64DecodeScalar(benchmark::State& state) {
  const auto& in = pick(inputs(static_cast<std::size_t>(state.range(0)) * kMiB),
                        static_cast<int>(state.range(1)));
  std::vector<char> out(decoded_size_max(in.size()));
  for (auto _ : state)
    benchmark::DoNotOptimize(estafeta::base64::decode_to_scalar_for_test(in, out.data()));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * in.size()));
  set_label(state, static_cast<int>(state.range(1)));
}

void BM_Estafeta_Base64DecodeString(benchmark::State& state) {
  const auto& in = pick(inputs(static_cast<std::size_t>(state.range(0)) * kMiB),
                        static_cast<int>(state.range(1)));
  std::string out;
  for (auto _ : state) {
    out.clear();
    estafeta::base64::decode(in, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * in.size()));
  set_label(state, static_cast<int>(state.range(1)));
}

void BM_Estafeta_Base64Encode(benchmark::State& state) {
  const auto& raw = inputs(static_cast<std::size_t>(state.range(0)) * kMiB).raw;
  std::size_t line = state.range(1) == 0 ? 0 : 76;
  std::string out;
  out.reserve(estafeta::base64::encoded_size(raw.size(), line));
  for (auto _ : state) {
    out.clear();
    estafeta::base64::encode_append(raw, out, line);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * raw.size()));
  set_label(state, static_cast<int>(state.range(1)));
}

const std::string& qp_input(benchmark::State& state) {
  const auto& in = inputs(static_cast<std::size_t>(state.range(0)) * kMiB);
  state.SetLabel(std::to_string(state.range(0)) +
                 (state.range(1) == 0 ? "MiB dense" : "MiB prose"));
  return state.range(1) == 0 ? in.qp : in.qp_prose;
}

void BM_Estafeta_QpDecode(benchmark::State& state) {
  const auto& in = qp_input(state);
  std::string out;
  out.reserve(in.size() * 2);
  for (auto _ : state) {
    out.clear();
    estafeta::qp::decode(in, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * in.size()));
}

void BM_Estafeta_QpEncode(benchmark::State& state) {
  const auto& in = inputs(static_cast<std::size_t>(state.range(0)) * kMiB).text;
  for (auto _ : state) benchmark::DoNotOptimize(estafeta::qp::encode(in));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * in.size()));
  state.SetLabel(std::to_string(state.range(0)) + "MiB text");
}

// ---- OpenSSL ----

void BM_OpenSSL_Base64Decode(benchmark::State& state) {
  const auto& in = pick(inputs(static_cast<std::size_t>(state.range(0)) * kMiB),
                        static_cast<int>(state.range(1)));
  std::vector<unsigned char> out(in.size());
  const auto* src = reinterpret_cast<const unsigned char*>(in.data());
  for (auto _ : state) {
    if (state.range(1) == 0) {
      // EVP_DecodeBlock takes the whole unbroken text at once.
      benchmark::DoNotOptimize(EVP_DecodeBlock(out.data(), src, static_cast<int>(in.size())));
    } else {
      EVP_ENCODE_CTX* ctx = EVP_ENCODE_CTX_new();
      EVP_DecodeInit(ctx);
      int n = 0, fin = 0;
      EVP_DecodeUpdate(ctx, out.data(), &n, src, static_cast<int>(in.size()));
      EVP_DecodeFinal(ctx, out.data() + n, &fin);
      EVP_ENCODE_CTX_free(ctx);
      benchmark::DoNotOptimize(n + fin);
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * in.size()));
  set_label(state, static_cast<int>(state.range(1)));
}

void BM_OpenSSL_Base64Encode(benchmark::State& state) {
  const auto& raw = inputs(static_cast<std::size_t>(state.range(0)) * kMiB).raw;
  std::vector<unsigned char> out(raw.size() / 3 * 4 + raw.size() / 24 + 64);
  const auto* src = reinterpret_cast<const unsigned char*>(raw.data());
  for (auto _ : state) {
    if (state.range(1) == 0) {
      benchmark::DoNotOptimize(EVP_EncodeBlock(out.data(), src, static_cast<int>(raw.size())));
    } else {
      // OpenSSL's streaming encoder writes 64-character lines ending in LF.
      EVP_ENCODE_CTX* ctx = EVP_ENCODE_CTX_new();
      EVP_EncodeInit(ctx);
      int n = 0, fin = 0;
      EVP_EncodeUpdate(ctx, out.data(), &n, src, static_cast<int>(raw.size()));
      EVP_EncodeFinal(ctx, out.data() + n, &fin);
      EVP_ENCODE_CTX_free(ctx);
      benchmark::DoNotOptimize(n + fin);
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * raw.size()));
  set_label(state, static_cast<int>(state.range(1)));
}

#ifdef ESTAFETA_HAVE_GMIME
// ---- GMime ----

void BM_GMime_Base64Decode(benchmark::State& state) {
  const auto& in = pick(inputs(static_cast<std::size_t>(state.range(0)) * kMiB),
                        static_cast<int>(state.range(1)));
  std::vector<unsigned char> out(in.size());
  for (auto _ : state) {
    int st = 0;
    guint32 save = 0;
    benchmark::DoNotOptimize(g_mime_encoding_base64_decode_step(
        reinterpret_cast<const unsigned char*>(in.data()), in.size(), out.data(), &st, &save));
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * in.size()));
  set_label(state, static_cast<int>(state.range(1)));
}

void BM_GMime_Base64Encode(benchmark::State& state) {
  const auto& raw = inputs(static_cast<std::size_t>(state.range(0)) * kMiB).raw;
  std::vector<unsigned char> out(raw.size() / 3 * 4 + raw.size() / 28 + 64);
  for (auto _ : state) {
    // GMime always wraps at 76 with LF; there is no unwrapped mode.
    int st = 0;
    guint32 save = 0;
    benchmark::DoNotOptimize(g_mime_encoding_base64_encode_close(
        reinterpret_cast<const unsigned char*>(raw.data()), raw.size(), out.data(), &st, &save));
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * raw.size()));
  state.SetLabel(std::to_string(state.range(0)) + "MiB lines");
}

void BM_GMime_QpDecode(benchmark::State& state) {
  const auto& in = qp_input(state);
  std::vector<unsigned char> out(in.size() + 16);
  for (auto _ : state) {
    int st = 0;
    guint32 save = 0;
    benchmark::DoNotOptimize(g_mime_encoding_quoted_decode_step(
        reinterpret_cast<const unsigned char*>(in.data()), in.size(), out.data(), &st, &save));
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * in.size()));
}
#endif

// Args: {MiB, kind}: base64 0 = plain, 1 = lines; quoted-printable 0 = dense, 1 = prose.
void sizes_and_kinds(benchmark::internal::Benchmark* b) {
  for (int mib : {1, 64})
    for (int kind : {0, 1}) b->Args({mib, kind});
  b->Unit(benchmark::kMillisecond);
}
void sizes(benchmark::internal::Benchmark* b) {
  for (int mib : {1, 64}) b->Args({mib});
  b->Unit(benchmark::kMillisecond);
}

BENCHMARK(BM_Estafeta_Base64Decode)->Apply(sizes_and_kinds);
BENCHMARK(BM_Estafeta_Base64DecodeScalar)->Apply(sizes_and_kinds);
BENCHMARK(BM_Estafeta_Base64DecodeString)->Apply(sizes_and_kinds);
BENCHMARK(BM_OpenSSL_Base64Decode)->Apply(sizes_and_kinds);
#ifdef ESTAFETA_HAVE_GMIME
BENCHMARK(BM_GMime_Base64Decode)->Apply(sizes_and_kinds);
#endif
BENCHMARK(BM_Estafeta_Base64Encode)->Apply(sizes_and_kinds);
BENCHMARK(BM_OpenSSL_Base64Encode)->Apply(sizes_and_kinds);
#ifdef ESTAFETA_HAVE_GMIME
BENCHMARK(BM_GMime_Base64Encode)->Apply(sizes);
#endif
BENCHMARK(BM_Estafeta_QpDecode)->Apply(sizes_and_kinds);
#ifdef ESTAFETA_HAVE_GMIME
BENCHMARK(BM_GMime_QpDecode)->Apply(sizes_and_kinds);
#endif
BENCHMARK(BM_Estafeta_QpEncode)->Apply(sizes);

}  // namespace

BENCHMARK_MAIN();
