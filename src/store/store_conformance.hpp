// store_conformance: the backend-neutral conformance suite of the store interface
// (store/api/store.hpp), a value-parameterized GoogleTest suite. Every backend instantiates it
// in its own test file with a factory:
//
//   INSTANTIATE_TEST_SUITE_P(Maildir, StoreConformance,
//                            ::testing::Values(StoreFactory{"maildir", make}),
//                            store::conformance_name);
//
// The factory makes a Store whose storage lives in the given temporary directory; called
// again with the previous Store (all accounts released) it "restarts" it: a persistent
// backend opens the same storage afresh, the in-memory one may hand the same object back.
// Covers: UID assignment and UIDNEXT, no UID reuse after expunge and restart, MODSEQ growth,
// changes_since with expunges, flags and keywords, UNCHANGEDSINCE, COPY/MOVE with COPYUID
// and email ids, RFC 8474 thread ids (reply, late parent, copy, rebuild), RENAME with inferiors and
// of INBOX, DELETE, subscriptions, special-use mailboxes, refused names, idempotent delivery, the
// change feed, cached fields, blob reads in pieces and concurrent writers. Test support only (links
// GoogleTest).
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "store/api/store.hpp"

namespace estafeta::store {

struct StoreFactory {
  std::string name;
  // (directory, previous store or nullptr) -> store.
  std::function<std::shared_ptr<Store>(const std::filesystem::path&, std::shared_ptr<Store>)> make;
};

std::string conformance_name(const ::testing::TestParamInfo<StoreFactory>& info);

class StoreConformance : public ::testing::TestWithParam<StoreFactory> {
 protected:
  void SetUp() override;
  void TearDown() override;
  // Releases every account and makes the store again on the same storage.
  void reopen();
  std::shared_ptr<Account> account(const std::string& name = "alice@example.org");

  std::filesystem::path dir_;
  std::shared_ptr<Store> store_;
};

}  // namespace estafeta::store
