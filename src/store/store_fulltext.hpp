// store_fulltext: the full-text index of one account (Account::fulltext_search), kept in its
// own SQLite file beside the account's index ("estafeta-fulltext.sqlite"): an FTS5 table
// with the trigram tokenizer over the folded texts of store_fulltext_text.hpp, which answers
// SEARCH SUBJECT/FROM/TO/CC/BCC/BODY/TEXT with exactly the scanning evaluator's results.
// Why its own file: its writes (a message's text is ten times its index row) never hold the
// account index's write lock, so deliveries, flag changes and EXPUNGE never wait for the
// indexer; the main index stays small; and a damaged or missing file is simply rebuilt.
//
// Notes:
// - Layout: fts (contentless FTS5, detail=full, columns c_subject c_from c_to c_cc c_bcc
//   c_headers c_body; rowid = slot << 32 | UID), boxes (mailbox id -> UIDVALIDITY, slot,
//   indexed_uid = every UID up to it is indexed or listed in skipped, modseq = the mailbox's
//   HIGHESTMODSEQ when it last caught up, docs = rows inserted under the slot), skipped
//   (slot, UID: messages that could not be read or are too large; scanned instead), meta;
//   for FUZZY (RFC 6203, mime/mime_search_fuzzy.hpp) vocab (the vocabulary words of the
//   indexed mail) and vdel (each vocabulary word under each of its one-letter deletions), so
//   that the words one edit away from a search word are a few primary-key lookups.
// - Asynchronous: delivery and APPEND only poke() (a mutex and a condition variable, no
//   I/O); a background thread (nice 10, started on demand, gone after 30 s idle) waits
//   kSettle for more changes, then catches up: for each mailbox whose UIDNEXT moved past
//   indexed_uid, the messages changed since `modseq` (Account::changes_since) with a UID
//   above indexed_uid are read (Account::open_many), parsed and inserted, kBatch per
//   transaction. SEARCH meanwhile answers from the index for UIDs up to indexed_uid and
//   scans the rest, so answers never depend on how far the indexer got.
// - Deletion is lazy: expunged messages keep their rows (callers intersect with the
//   mailbox's messages; a UID is never reused under one UIDVALIDITY), a mailbox whose
//   UIDVALIDITY changed or that was deleted gets a new slot, its old rows become garbage.
//   (Debian's SQLite 3.40 has no contentless_delete.) When the garbage exceeds both the live
//   rows and kGarbageFloor, the table is emptied and rebuilt by the next catch-up.
// - A file SQLite cannot read is deleted and rebuilt; until then searches scan. Searches
//   never fail because of this file: its errors make a result that covers nothing.
// - Threads: one connection for the indexer (under write_mu_) and one for searches (under
//   read_mu_); WAL, synchronous=NORMAL (a crash may lose the last batches, which are then
//   indexed again; the rows and indexed_uid commit together).
// Trust: message bytes are untrusted (parsed with mime::parse's limits); search strings
// come from clients, are bound as values and quoted as one FTS5 phrase. Memory: one batch
// of messages while indexing (messages above kMaxMessage, or with more than kMaxText of text,
// are skipped: searches scan them); a search's matching
// rowids.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <string_view>
#include <thread>
#include <unordered_set>
#include <vector>

#include "store/api/store.hpp"
#include "store/store_fulltext_text.hpp"
#include "store/store_sqlite.hpp"

namespace estafeta::store {

inline constexpr const char* kFulltextFile = "estafeta-fulltext.sqlite";

class FulltextIndex {
 public:
  // `account` is read through its public interface and must outlive this object.
  FulltextIndex(Account& account, std::filesystem::path file);
  ~FulltextIndex();  // stops and joins the background thread
  FulltextIndex(const FulltextIndex&) = delete;
  FulltextIndex& operator=(const FulltextIndex&) = delete;

  // Messages were added: catch up soon, in the background. Never blocks on I/O.
  void poke();
  // Account::fulltext_search for mailbox `box` whose current UIDVALIDITY is `uid_validity`.
  std::error_code search(MailboxId box, std::uint32_t uid_validity, TextField field,
                         std::string_view folded, FulltextResult& out);
  // Account::fulltext_fuzzy, the same way: per word of the string, the messages containing
  // it (score 100) or one of its vocabulary variants (50); every word must match.
  std::error_code fuzzy(MailboxId box, std::uint32_t uid_validity, TextField field,
                        std::string_view folded, FulltextResult& out);
  // Account::fulltext_catch_up / fulltext_status.
  std::error_code catch_up(bool rebuild, FulltextStatus& out);
  std::error_code status(FulltextStatus& out);

  static constexpr std::size_t kBatch = 200;
  static constexpr std::uint64_t kMaxMessage = 32u << 20;
  // Text of one message (every column together) indexed at most; a message with more (a
  // multi-megabyte log pasted inline) is skipped, i.e. searched by scanning, so results stay
  // exact and one message never holds the indexer (and a shutdown waiting for it) for long.
  static constexpr std::uint64_t kMaxText = 4u << 20;
  static constexpr std::uint64_t kGarbageFloor = 20000;

 private:
  std::error_code open_writer();
  std::error_code catch_up_locked(bool rebuild);
  std::error_code index_mailbox(const MailboxInfo& box);
  std::error_code status_locked(FulltextStatus& out);
  // Under read_mu_: the reader open on the file, false when there is none yet.
  bool open_reader();
  // Under read_mu_: the slot and indexed_uid of `box`, 0 when it has none.
  std::error_code box_state(MailboxId box, std::uint32_t uid_validity, std::int64_t& slot,
                            Uid& through);
  std::error_code match_rowids(std::string_view expression, std::int64_t slot, Uid through,
                               std::vector<Uid>& out);
  // Under write_mu_: adds the vocabulary words of `doc` not yet known (vocab, vdel).
  std::error_code add_vocabulary(const FulltextDocument& doc);
  void handle_read_error(std::error_code ec);
  void reset_damaged(std::error_code ec);
  void run();

  Account& account_;
  const std::filesystem::path file_;

  std::mutex write_mu_;  // the writer connection and catch-ups
  Db writer_;
  std::unordered_set<std::string> known_words_;  // vocab, loaded at the first catch-up
  bool words_loaded_ = false;
  std::mutex read_mu_;  // the search connection
  Db reader_;

  std::mutex thread_mu_;  // the background thread's state
  std::condition_variable cv_;
  std::thread thread_;
  bool running_ = false;
  bool poked_ = false;
  bool stop_ = false;
  int tid_ = 0;  // the background thread's kernel id while it runs (its nice is raised)
};

}  // namespace estafeta::store
