// mua_send: what `mail send`, `reply`, `forward` and `flush` share after composing: submit
// the messages (mua_submit.hpp) over one connection, report each recipient, keep what could
// not be sent now in the outbox (mua_outbox.hpp: the server unreachable, timed out, 4xx;
// only the recipients still due), drop what was refused for good (5xx, reported), and put a
// copy of each sent message in the Sent mailbox (with the Bcc header, as Thunderbird
// does: only the sender sees that copy). Memory: the messages given.
#pragma once

#include <cstdio>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "mua/mua_account.hpp"
#include "mua/mua_outbox.hpp"
#include "mua/mua_submit.hpp"

namespace estafeta::mua {

struct Outgoing {
  OutboxRecord record;            // envelope, message (no Bcc header), Sent-copy wish, Bcc
  std::optional<std::string> id;  // its outbox entry when it comes from the outbox
};

// Stores a sent message in the account's Sent mailbox (IMAP APPEND); unset = no copies.
using SentCopyFn = std::function<Result<bool>(const Account&, const std::string& message)>;

struct SendSummary {
  std::size_t sent = 0;     // recipients the server accepted
  std::size_t refused = 0;  // recipients refused for good (5xx)
  std::size_t queued = 0;   // messages (now) waiting in the outbox
  bool failed = false;      // an error that is neither (authentication, certificate, disk)
  int exit_code() const { return failed || refused ? 1 : queued ? 75 : 0; }
};

// Sends, reports one line per recipient and per problem to `out`, updates the outbox.
SendSummary send_messages(const Account& account, std::vector<Outgoing> messages,
                          const PasswordFn& password, const SentCopyFn& sent_copy, std::FILE* out,
                          const SubmitOptions& options = {});

// The message with a Bcc header field added at the end of its header (the Sent copy).
std::string with_bcc_header(const std::string& message, const std::string& bcc_value);

}  // namespace estafeta::mua
