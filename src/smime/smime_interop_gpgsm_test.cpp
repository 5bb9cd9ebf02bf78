// smime_interop_gpgsm_test: our output checked by GnuPG's gpgsm at test time (issue 11,
// interoperability), and gpgsm's output checked by us: gpgsm verifies our multipart/signed
// and signed-data and decrypts our enveloped-data (AES-256-CBC; gpgsm 2.2 cannot read
// authEnveloped-data), and rejects a changed message; what gpgsm signs and encrypts now
// verifies and decrypts here. gpgsm runs in a private GNUPGHOME in a temporary directory
// with the test CA of tests/data/smime trusted and CRL checks off; every call is bounded by
// timeout(1); the agent is stopped at the end. Skipped when gpgsm is not installed.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>

#include "base/base64.hpp"
#include "base/test_temp_dir.hpp"
#include "mime/mime_parser.hpp"
#include "smime/smime_encrypt.hpp"
#include "smime/smime_inspect.hpp"
#include "smime/smime_sign.hpp"
#include "smime/smime_test_pki.hpp"

namespace estafeta::smime {
namespace {

namespace fs = std::filesystem;
const fs::path kData = fs::path(ESTAFETA_SOURCE_DIR) / "tests/data/smime";

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write(const fs::path& p, std::string_view data) {
  std::ofstream(p, std::ios::binary) << data;
}

class Gpgsm : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (std::system("command -v gpgsm >/dev/null 2>&1") != 0) return;
    installed_ = true;
    dir_ = std::make_unique<estafeta::testing::TempDir>("estafeta-gpgsm");
    fs::path home = dir_->path() / "g";
    fs::create_directory(home);
    fs::permissions(home, fs::perms::owner_all);
    write(home / "gpg-agent.conf", "allow-loopback-pinentry\n");
    write(dir_->path() / "pass.txt", "test\n");
    if (run("--import '" + (kData / "ca.pem").string() + "'") != 0) return;
    if (run_raw("gpgsm --with-colons --list-keys > fpr.txt") != 0) return;
    std::string fpr;
    std::istringstream lines(read(dir_->path() / "fpr.txt"));
    for (std::string line; std::getline(lines, line);) {
      if (line.rfind("fpr:", 0) != 0) continue;
      // fpr:::::::::FINGERPRINT:
      std::size_t pos = 0;
      for (int i = 0; i < 9 && pos != std::string::npos; ++i) pos = line.find(':', pos + 1);
      if (pos != std::string::npos) fpr = line.substr(pos + 1, line.find(':', pos + 1) - pos - 1);
      break;
    }
    if (fpr.empty()) return;
    write(home / "trustlist.txt", fpr + " S relax\n");
    for (const char* p12 : {"alice.p12", "bob.p12"})
      if (run("--import '" + (kData / p12).string() + "'") != 0) return;
    ready_ = true;
  }
  static void TearDownTestSuite() {
    if (dir_) run_raw("gpgconf --kill all");
    dir_.reset();
  }
  void SetUp() override {
    if (!installed_) GTEST_SKIP() << "gpgsm is not installed (scripts/deps.sh installs it)";
    ASSERT_TRUE(ready_) << "gpgsm setup failed: " << err();
  }

  // Runs a shell command in the temporary directory with GNUPGHOME set, bounded to 30 s.
  static int run_raw(const std::string& cmd) {
    std::string full = "cd '" + dir_->path().string() + "' && export GNUPGHOME='" +
                       (dir_->path() / "g").string() + "' && timeout 30 " + cmd + " 2>>stderr.txt";
    int rc = std::system(full.c_str());
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  }
  // gpgsm in batch mode with the PKCS#12 passphrase "test" on its standard input (pass.txt).
  static int run(const std::string& args) {
    return run_raw(
        "gpgsm --batch --disable-crl-checks --pinentry-mode loopback "
        "--passphrase-fd 0 " +
        args + " < pass.txt");
  }
  static fs::path path(const std::string& name) { return dir_->path() / name; }
  static std::string err() { return read(path("stderr.txt")); }

  static Identity alice() {
    return {read(kData / "alice.key"), read(kData / "alice.pem"), read(kData / "ca.pem")};
  }
  static Identity bob() { return {read(kData / "bob.key"), read(kData / "bob.pem"), ""}; }
  static TrustSettings trust() {
    TrustSettings t;
    t.system_store = false;
    t.ca_files = {(kData / "ca.pem").string()};
    return t;
  }

  static std::unique_ptr<estafeta::testing::TempDir> dir_;
  static bool installed_;
  static bool ready_;
};

std::unique_ptr<estafeta::testing::TempDir> Gpgsm::dir_;
bool Gpgsm::installed_ = false;
bool Gpgsm::ready_ = false;

// The DER inside a single-part application/pkcs7-mime message.
std::string pkcs7_der(const std::string& msg) {
  auto m = mime::parse(msg);
  std::string der;
  base64::decode(m.body_bytes(m.root()), der);
  return der;
}

TEST_F(Gpgsm, TheyVerifyOurMultipartSigned) {
  auto s = sign(testing::message_from("alice@example.org"), alice());
  ASSERT_TRUE(s.ok()) << s.error().text;
  auto m = mime::parse(*s);
  const auto& content = m.parts[m.child(0, 1)];
  const auto& sig = m.parts[m.child(0, 2)];
  std::string der;
  base64::decode(m.body_bytes(sig), der);
  std::string signed_bytes(
      s->substr(content.header.offset, content.body.end() - content.header.offset));
  write(path("content.txt"), signed_bytes);
  write(path("sig.der"), der);
  EXPECT_EQ(run("--verify sig.der content.txt"), 0) << err();
  EXPECT_NE(err().find("Good signature"), std::string::npos) << err();
  signed_bytes[signed_bytes.size() - 4] ^= 0x20;
  write(path("content.txt"), signed_bytes);
  EXPECT_NE(run("--verify sig.der content.txt"), 0) << "gpgsm accepted a changed message";
}

TEST_F(Gpgsm, TheyVerifyOurSignedData) {
  auto s = sign(testing::message_from("alice@example.org"), alice(), {.opaque = true});
  ASSERT_TRUE(s.ok());
  write(path("opaque.der"), pkcs7_der(*s));
  ASSERT_EQ(run("--output opaque.out --verify opaque.der"), 0) << err();
  EXPECT_NE(read(path("opaque.out")).find("the figures are attached"), std::string::npos);
}

TEST_F(Gpgsm, TheyDecryptOurEnvelopedData) {
  auto e = sign_and_encrypt(testing::message_from("alice@example.org"), alice(),
                            {{"bob@example.org", read(kData / "bob.pem")}}, {},
                            {.cipher = Cipher::aes256_cbc});
  ASSERT_TRUE(e.ok()) << e.error().text;
  write(path("enc.der"), pkcs7_der(*e));
  ASSERT_EQ(run("--output dec.out --decrypt enc.der"), 0) << err();
  auto inner = read(path("dec.out"));
  EXPECT_NE(inner.find("multipart/signed"), std::string::npos) << inner;
  // What gpgsm decrypted is our signed entity: it still verifies here.
  auto v = inspect("From: alice@example.org\r\n" + inner, trust());
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->signed_and_valid()) << format_verdict(*v);
}

TEST_F(Gpgsm, WeVerifyAndDecryptWhatTheyMakeNow) {
  write(path("text.txt"), "Content-Type: text/plain\r\n\r\nSigned by gpgsm just now.\r\n");
  ASSERT_EQ(run("--detach-sign --include-certs -1 -u alice@example.org --output now.sig text.txt"),
            0)
      << err();
  std::string msg =
      "From: alice@example.org\r\nTo: bob@example.org\r\nSubject: now\r\nMIME-Version: 1.0\r\n"
      "Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\"; "
      "micalg=sha-256; boundary=\"b\"\r\n\r\n--b\r\n" +
      read(path("text.txt")) +
      "\r\n--b\r\nContent-Type: application/pkcs7-signature\r\n"
      "Content-Transfer-Encoding: base64\r\n\r\n" +
      base64::encode(read(path("now.sig")), 76) + "\r\n--b--\r\n";
  auto v = inspect(msg, trust());
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->signed_and_valid()) << format_verdict(*v);
  ASSERT_EQ(run("--encrypt -r bob@example.org --output now.enc text.txt"), 0) << err();
  std::string enc =
      "From: alice@example.org\r\nMIME-Version: 1.0\r\nContent-Type: application/pkcs7-mime; "
      "smime-type=enveloped-data\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
      base64::encode(read(path("now.enc")), 76) + "\r\n";
  auto d = inspect(enc, trust(), {bob()});
  ASSERT_TRUE(d.ok());
  EXPECT_TRUE(d->decrypted()) << format_verdict(*d);
  EXPECT_NE(d->content.find("Signed by gpgsm just now."), std::string::npos);
}

}  // namespace
}  // namespace estafeta::smime
