// store_sort_keys: the SORT / THREAD keys (store::SortKeys, RFC 5256, RFC 5957) of a parsed
// message, computed once when a message enters the store (both backends, and rebuild_index
// from the files). Input is an untrusted message; each key is bounded by its header field
// (a References list by mime::kMaxMessageIds ids). No I/O.
#pragma once

#include "mime/mime_message.hpp"
#include "store/api/store.hpp"

namespace estafeta::store {

SortKeys compute_sort_keys(const mime::Message& m);

}  // namespace estafeta::store
