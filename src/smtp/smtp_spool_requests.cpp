// smtp_spool_requests: see the header. The only catch blocks are here because these run on
// worker threads, where an escaping exception would take the pool down; each becomes a 451.
#include "smtp/smtp_spool_requests.hpp"

#include <algorithm>
#include <chrono>
#include <exception>

#include "base/fault_injection.hpp"
#include "base/log.hpp"
#include "delivery/delivery_maildir.hpp"
#include "queue/queue_forward.hpp"

namespace estafeta::smtp {
namespace {

void open_writer(queue::Spool& spool, const Background& background, SpoolSlot& slot) {
  if (slot.writer || slot.failed) return;
  std::error_code ec;
  slot.writer = spool.begin(ec);
  if (!slot.writer) {
    log::error("smtp", "cannot open a spool file in {}: {}", spool.dir().string(), ec.message());
    slot.failed = true;
  }
  if (spool.claim_replenish()) {
    queue::Spool* s = &spool;
    background([s] {
      if (auto e = s->replenish())
        log::warn("spool", "cannot top up the spool reserve: {}", e.message());
    });
  }
}

}  // namespace

void spool_append(queue::Spool& spool, const Background& background, SpoolSlot& slot,
                  std::string_view bytes) {
  open_writer(spool, background, slot);
  if (slot.failed) return;
  if (auto ec = slot.writer->append(bytes)) {
    log::error("smtp", "cannot write spool file {}: {}", slot.writer->name(), ec.message());
    slot.failed = true;
  }
}

void spool_discard(SpoolSlot& slot) {
  slot.writer.reset();  // an uncommitted writer frees its slot
  slot.failed = false;
}

std::optional<queue::SpoolEntry> commit_message(auth::Directory& directory, queue::Spool& spool,
                                                const Background& background, SpoolSlot& slot,
                                                const StoreMessage& store, std::string_view peer_ip,
                                                std::string_view escaped_host,
                                                const KnownRemote& known_remote) {
  try {
    const Envelope& env = store.envelope;
    queue::SpoolEnvelope rec;
    rec.id = env.id;
    rec.mail_from = env.mail_from;
    rec.helo = env.helo;
    rec.peer_ip = peer_ip;
    rec.auth_user = env.auth_user;
    rec.ret = env.ret;
    rec.envid = env.envid;
    rec.body = env.body;
    rec.smtputf8 = env.smtputf8;
    rec.requiretls = env.requiretls;
    rec.received = store.received;
    rec.received_at = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
    rec.maildir_name = delivery::maildir_base_name(escaped_host);
    for (const Recipient& r : env.recipients) {
      queue::SpoolRecipient sr;
      sr.address = r.address;
      sr.notify = r.dsn.notify;
      sr.orcpt = r.dsn.orcpt;
      // The database is unchanged since RCPT found the domain is not ours: no second lookup.
      // For the outbound queue: a recipient without local targets.
      if (r.remote && known_remote && known_remote(r.address)) {
        rec.recipients.push_back(std::move(sr));
        continue;
      }
      // Resolved again: an account may have changed since RCPT TO.
      auth::Resolution res = directory.resolve(r.address);
      if (r.remote && res.status == auth::Resolution::Status::not_local_domain) {
        rec.recipients.push_back(std::move(sr));
        continue;
      }
      if (res.status != auth::Resolution::Status::local ||
          (res.targets.empty() && res.forwards.empty())) {
        log::warn("smtp",
                  "{}: recipient <{}> no longer resolves to a local mailbox; "
                  "message refused with a temporary error",
                  env.id, r.address);
        spool_discard(slot);
        return std::nullopt;
      }
      for (const auth::MailboxTarget& t : res.targets)
        sr.local.push_back(queue::LocalTarget{t.user, t.maildir.string(), t.folder, t.address});
      if (!sr.local.empty()) rec.recipients.push_back(std::move(sr));
      // Alias targets in other domains (only from a forwarding directory, which the server
      // sets up only with an outbound queue): copies for the outbound queue.
      queue::add_forwards(directory, res, env.mail_from, r.address, r.dsn.notify, r.dsn.orcpt,
                          rec.recipients);
    }
    // Nothing streamed before the tail: the tail is the whole message, kept for the outbound
    // queue when something goes there (SpoolEntry::data).
    const bool whole_in_tail = !slot.writer || slot.writer->size() == 0;
    spool_append(spool, background, slot, store.tail);
    if (slot.failed) {
      spool_discard(slot);
      return std::nullopt;
    }
    if (auto ec = slot.writer->commit(rec)) {
      log::error("smtp", "{}: cannot commit spool file {}: {}", env.id, slot.writer->name(),
                 ec.message());
      spool_discard(slot);
      return std::nullopt;
    }
    fault::point("spool-after-commit");
    queue::SpoolEntry entry{slot.writer->name(), std::move(rec), 0, nullptr};
    const auto& rs = entry.envelope.recipients;
    if (whole_in_tail && store.tail.size() <= queue::kInMemoryData &&
        std::any_of(rs.begin(), rs.end(), [](const auto& r) { return r.local.empty(); }))
      entry.data = std::make_shared<const std::string>(store.tail);
    slot.writer.reset();
    slot.failed = false;
    return entry;
  } catch (const std::exception& e) {
    log::error("smtp", "{}: storing the message failed: {}", store.envelope.id, e.what());
    spool_discard(slot);
    return std::nullopt;
  }
}

}  // namespace estafeta::smtp
