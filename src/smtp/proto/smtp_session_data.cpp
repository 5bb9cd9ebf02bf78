// smtp_session_data: message content: DATA (RFC 5321 §4.1.1.4) and BDAT (RFC 3030)
// through DataReader, handed out in MessageChunk events as it arrives (the driver streams it
// into the spool), the Received field (§4.4, kept apart from the content), StoreMessage and
// its answer, or DiscardMessage when a message already partly handed out is refused.
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

void ServerSession::Impl::hand_out_content() {
  if (reader.buffered() < kMessageChunk) return;
  events.emplace_back(MessageChunk{reader.take_chunk()});
  content_out = true;
}

void ServerSession::Impl::discard_content() {
  if (!content_out) return;
  events.emplace_back(DiscardMessage{});
  content_out = false;
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
  events.emplace_back(StoreMessage{envelope, format_received(rf), reader.take_chunk()});
  content_out = false;  // from here on the message belongs to the driver's spool
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
