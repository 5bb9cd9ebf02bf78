// store_fulltext_result: FulltextResult::covers (store.hpp). No I/O.
#include <algorithm>

#include "store/api/store.hpp"

namespace estafeta::store {

bool FulltextResult::covers(Uid uid) const {
  return uid != 0 && uid <= covered_through &&
         !std::binary_search(not_covered.begin(), not_covered.end(), uid);
}

}  // namespace estafeta::store
