// store_conformance_test: the conformance suite (store_conformance.hpp) run against every
// backend built here: the embedded Maildir + SQLite one (restart = a new Store on the same
// data dir) and the in-memory one (restart = the same Store).
#include "store/store_conformance.hpp"
#include "store/store_maildir.hpp"
#include "store/store_memory.hpp"

namespace estafeta::store {
namespace {

StoreFactory maildir_factory() {
  return {"maildir", [](const std::filesystem::path& dir, std::shared_ptr<Store>) {
            return make_maildir_store(MaildirStoreOptions{dir, 4, true});
          }};
}

StoreFactory memory_factory() {
  return {"memory", [](const std::filesystem::path&, std::shared_ptr<Store> previous) {
            return previous ? previous : make_memory_store();
          }};
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreConformance,
                         ::testing::Values(maildir_factory(), memory_factory()), conformance_name);

}  // namespace
}  // namespace estafeta::store
