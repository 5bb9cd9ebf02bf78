// store_thread_ids: the rules by which both backends give a message its thread id (RFC 8474
// §5.2 THREADID), kept apart from where each backend keeps its Message-ID -> thread table.
// A message joins the thread of a message it refers to (its References, or its first
// In-Reply-To id: SortKeys::references), or of an earlier message that referred to its own
// Message-ID (a parent that arrives after its reply); otherwise it starts a thread of its own.
// Subjects are never compared (as Gmail, Fastmail and Cyrus do). A thread id never changes
// once given (two threads a later message links are not merged). The account's table maps
// every Message-ID it has seen (own and referenced) to a thread; a message adds its ids with
// the thread it joined (ids already mapped keep their thread). Input: the store's own sort
// keys (computed from untrusted headers): at most kMaxThreadLinks ids are looked at per
// message, each of at most kMaxThreadIdLength octets. No I/O.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "store/api/store.hpp"

namespace estafeta::store {

// The references looked at: the last (nearest) ones of a longer list.
inline constexpr std::size_t kMaxThreadLinks = 50;
// Longer ids (no real Message-ID is) are not looked at.
inline constexpr std::size_t kMaxThreadIdLength = 250;

// The ids to look up for a new message, in the order to try them: its parents from the
// nearest (the last reference) back, then its own Message-ID; without duplicates or empty
// ids; at most kMaxThreadLinks + 1. The views point into `keys`.
std::vector<std::string_view> thread_link_ids(const SortKeys& keys);

// The id of a thread that a message with `email_id` starts: "T" + 16 lowercase hex digits,
// the digits of the store's own "M" + 16 hex email id, else a 64-bit hash of the email id
// (RFC 8474 §5.2 objectid grammar either way). Copies of a message share its email id, so
// a rebuild gives them one thread even when they carry no Message-ID.
std::string new_thread_id(std::string_view email_id);

}  // namespace estafeta::store
