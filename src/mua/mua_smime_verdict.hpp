// mua_smime_verdict: what `mail read` shows of a message's S/MIME layers (smime::inspect): the
// verdict lines of smime::format_verdict for people, and a JSON object for programs (field
// names in docs/MUA.md). A signature is reported "valid" only when smime::Signature::valid()
// holds (unaltered, trusted chain, in date, not revoked, From covered) and its layer has no
// problem; a signed part inside an unsigned message is reported with whole_message false.
// Input: a verdict over an untrusted message (its strings are escaped). Memory: the output.
#pragma once

#include <string>

#include "smime/smime_inspect.hpp"

namespace estafeta::mua {

// {"signed", "encrypted", "decrypted", "valid" (the whole message signed and every signature
// valid), "layers":[{"kind", "part", "whole_message", "problem", "decrypted", "cipher",
// "recipients", "signatures":[{...}]}]}
std::string smime_verdict_json(const smime::Verdict& v);

}  // namespace estafeta::mua
