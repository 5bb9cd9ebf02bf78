// delivery_encryption: see the header. The certificate file is read at each delivery (a few
// KiB): publishing or withdrawing one takes effect with the next message, no restart.
#include "delivery/delivery_encryption.hpp"

#include <fstream>
#include <sstream>

#include "mime/mime_content_type.hpp"
#include "mime/mime_dsn.hpp"
#include "mime/mime_header.hpp"
#include "mime/mime_message.hpp"
#include "mime/mime_parser.hpp"
#include "smime/smime_encrypt.hpp"

namespace estafeta::delivery {
namespace {

constexpr std::size_t kMaxCertificateFile = 256 * 1024;

std::string lower(std::string_view v) {
  std::string out(v);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

}  // namespace

AtRestEncryption::AtRestEncryption(std::filesystem::path dir, bool cbc)
    : dir_(std::move(dir)), cbc_(cbc) {}

std::filesystem::path AtRestEncryption::certificate_path(const std::filesystem::path& dir,
                                                         std::string_view address) {
  if (address.empty() || address.size() > 320 || address.front() == '.') return {};
  for (unsigned char c : address)
    if (c == '/' || c < 0x21 || c == 0x7f) return {};
  return dir / (lower(address) + ".pem");
}

std::string AtRestEncryption::certificate(std::string_view address) const {
  const auto path = certificate_path(dir_, address);
  if (path.empty()) return {};
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  std::string pem(kMaxCertificateFile + 1, '\0');
  in.read(pem.data(), static_cast<std::streamsize>(pem.size()));
  pem.resize(static_cast<std::size_t>(in.gcount()));
  if (pem.size() > kMaxCertificateFile) return {};
  return pem;
}

bool AtRestEncryption::already_encrypted(std::string_view message) {
  const std::string_view header = mime::message_header_block(message);
  for (const mime::HeaderField& f : mime::parse_header_fields(header)) {
    if (!mime::iequals(f.name, "Content-Type")) continue;
    const std::string value = mime::unfolded_value(f.value);
    const mime::MediaType t = mime::parse_media_type(value);
    if (!t.valid || !mime::iequals(t.type, "application") ||
        !(mime::iequals(t.subtype, "pkcs7-mime") || mime::iequals(t.subtype, "x-pkcs7-mime")))
      return false;
    for (const auto& p : mime::decoded_parameters(t.params))
      if (mime::iequals(p.name, "smime-type"))
        return mime::iequals(p.value, "enveloped-data") ||
               mime::iequals(p.value, "authEnveloped-data");
    return false;
  }
  return false;
}

Result<std::string> AtRestEncryption::seal(std::string_view message, std::string_view address,
                                           const std::string& cert_pem) const {
  if (already_encrypted(message)) return std::string(message);
  smime::EncryptOptions options;
  options.cipher = cbc_ ? smime::Cipher::aes256_cbc : smime::Cipher::aes256_gcm;
  options.allow_expired = true;
  return smime::encrypt(message, {smime::Recipient{std::string(address), cert_pem}}, options);
}

}  // namespace estafeta::delivery
