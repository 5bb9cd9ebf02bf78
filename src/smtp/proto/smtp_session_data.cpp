// smtp_session_data: message content: DATA (RFC 5321 §4.1.1.4) and BDAT (RFC 3030)
// through DataReader, the Received field (§4.4), StoreMessage and its answer.
// Part of ServerSession (see smtp_server_session.cpp for the invariants); sees
// unauthenticated input, bounded as smtp_server_session.hpp says.
#include <fmt/format.h>

#include "smtp/proto/smtp_received.hpp"
#include "smtp/proto/smtp_reply.hpp"
#include "smtp/proto/smtp_server_session_impl.hpp"

namespace estafeta::smtp {

using namespace detail;

void ServerSession::Impl::do_data(const CommandLine&) {
  reply(354, "", "End data with <CR><LF>.<CR><LF>");
  reader.reset(DataReader::Mode::dot_stuffed);
  enter(State::data);
}

void ServerSession::Impl::do_bdat(const CommandLine& cmd) {
  std::optional<std::uint64_t> size;
  auto args = parse_bdat(cmd.argument, size);
  if (!size) {
    // The chunk size is unknown, so its octets cannot be told from commands: stop here
    // rather than read message text as commands.
    send(format_reply(args.error()));
    close();
    return;
  }
  chunk_size = chunk_remaining = *size;
  chunk_last = args.ok() && args->last;
  chunk_refusal.reset();
  if (!args.ok()) {
    chunk_refusal = args.error();
  } else if (auto s = check_helo_seen(); !s) {
    chunk_refusal = s.error();
  } else if (!in_transaction) {
    chunk_refusal = bad_sequence("Error: need MAIL command");
  } else if (envelope.recipients.empty()) {
    chunk_refusal = PeerError{554, "5.5.1", "Error: no valid recipients"};
  } else if (!bdat_active) {
    bdat_active = true;
    reader.reset(DataReader::Mode::chunked);
  }
  enter(State::bdat_chunk);
}

void ServerSession::Impl::end_of_chunk() {
  enter(State::command);
  trace(fmt::format("<BDAT chunk: {} octets>", chunk_size));
  if (chunk_refusal) {
    fail(*chunk_refusal);
    return;
  }
  if (bdat_error) {  // an earlier chunk failed: the same answer until LAST or RSET
    fail(*bdat_error, false);
    if (chunk_last) reset_transaction();
    return;
  }
  if (reader.too_big()) {
    bdat_error = reader.error();
    fail(*bdat_error);
    if (chunk_last) reset_transaction();
    return;
  }
  if (!chunk_last) {
    reply(250, "2.0.0", fmt::format("Ok: {} octets received", chunk_size));
    return;
  }
  reader.finish();
  finish_message();
}

void ServerSession::Impl::end_of_data() {
  enter(State::command);
  trace(fmt::format("<message data: {} octets>", reader.size()));
  finish_message();
}

// The message is complete (DATA end or BDAT LAST): refuse it or hand it over for storage.
void ServerSession::Impl::finish_message() {
  if (auto err = reader.error()) {
    fail(*err);
    reset_transaction();
    return;
  }
  ReceivedFields rf;
  rf.helo = helo;
  rf.peer_ip = info.peer_ip;
  rf.server_hostname = info.server_hostname;
  rf.esmtp = esmtp;
  rf.tls = tls_active;
  rf.tls_version = tls.version;
  rf.tls_cipher = tls.cipher;
  rf.auth_user = auth_user;
  rf.smtputf8 = envelope.smtputf8;
  rf.id = envelope.id;
  if (envelope.recipients.size() == 1) rf.single_recipient = envelope.recipients[0].address;
  rf.when = hooks.now();
  std::string body = reader.take_message();
  std::string message = format_received(rf);
  message.reserve(message.size() + body.size());
  message += body;
  body.clear();
  body.shrink_to_fit();
  events.emplace_back(StoreMessage{envelope, std::move(message)});
  enter(State::await_store);
}

void ServerSession::Impl::message_stored(bool ok) {
  if (!expect(State::await_store, "message_stored")) return;
  enter(State::command);
  if (ok)
    reply(250, "2.0.0", fmt::format("Ok: queued as {}", envelope.id));
  else
    reply(451, "4.3.0", "Error: could not store the message, try again later");
  reset_transaction();
  pump();
}

}  // namespace estafeta::smtp
