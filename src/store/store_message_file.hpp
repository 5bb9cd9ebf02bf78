// store_message_file: one message file of the embedded store: writing a new one into a
// Maildir's tmp/ from a NewMessage (prefix, then bytes or a range of a spool file, bare LF
// written as CRLF so that RFC822.SIZE is the file size, unless NewMessage::keep_bare_lf),
// computing the cached fields the index keeps (NewMessage::filter applied to the data first;
// mime::parse over a read-only mapping of the file, then ENVELOPE, BODYSTRUCTURE, BODY, the
// header and the Date), and reading it back in pieces (Blob). Input: message bytes are
// untrusted (the MIME parser accepts anything). Memory: writing uses one 64 KB buffer; the
// cache computation parses that buffer when the whole message fit in it, else maps the file
// (page cache, not heap), and holds the parsed structure, bounded by mime::Limits.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <system_error>

#include "store/api/store.hpp"

namespace estafeta::store {

struct WrittenFile {
  std::string unique;              // the file's Maildir unique name (in tmp/)
  std::filesystem::path tmp_path;  // in tmp/; the caller renames it into new/ or cur/
  std::uint64_t size = 0;          // RFC822.SIZE: octets written, each bare LF kept
                                   // (NewMessage::keep_bare_lf) counted as CRLF
  CachedFields cache;
};

// Writes `m` into a new file in `maildir`/tmp, fsynced when `durable`, and computes its
// cached fields. The file is removed on failure.
std::error_code write_message_file(const std::filesystem::path& maildir, const NewMessage& m,
                                   bool durable, WrittenFile& out);

// The cached fields and RFC822.SIZE (bare LF counted as CRLF) of an existing file;
// `file_size` gets its size on disk and `mtime` its modification time.
std::error_code read_message_file(const std::filesystem::path& path, CachedFields& cache,
                                  std::uint64_t& size, std::uint64_t& file_size,
                                  std::int64_t& mtime);

// A Blob over an open file (the descriptor is owned and closed by the Blob).
std::unique_ptr<Blob> make_file_blob(int fd, std::uint64_t size);

}  // namespace estafeta::store
