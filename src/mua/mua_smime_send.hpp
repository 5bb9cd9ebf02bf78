// mua_smime_send: `mail send --sign/--encrypt` (and reply/forward): the composed message
// signed with the account's own S/MIME identity (multipart/signed, detached, with its chain),
// encrypted for every recipient's certificate and the sender's own (so the Sent copy stays
// readable), or signed then encrypted (RFC 8551 §3.6), through the S/MIME library
// (src/smime) and the account's certificate store. Every missing certificate is an error
// naming the addresses, before anything is signed or sent. Encrypting with Bcc recipients is
// refused: their certificates would be listed in the message every recipient gets.
#pragma once

#include <string>
#include <vector>

#include "base/result.hpp"
#include "mua/mua_account.hpp"
#include "smime/smime_cert.hpp"

namespace estafeta::mua {

struct SecureOptions {
  bool sign = false;
  bool encrypt = false;
};

// `recipients`: the envelope (To, Cc); `has_bcc`: the draft has Bcc recipients.
Result<std::string> secure_message(const Account& account, const std::string& message,
                                   const std::vector<std::string>& recipients, bool has_bcc,
                                   const SecureOptions& options,
                                   const smime::PassphraseCallback& passphrase);

}  // namespace estafeta::mua
