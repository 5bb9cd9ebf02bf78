// store_errors: the store's error category (store.hpp Errc) and its messages, as operators
// and IMAP responses show them. No I/O; constant data.
#include <string>

#include "store/api/store.hpp"

namespace estafeta::store {
namespace {

class StoreCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "store"; }
  std::string message(int value) const override {
    switch (static_cast<Errc>(value)) {
      case Errc::ok:
        return "success";
      case Errc::no_such_account:
        return "no such account";
      case Errc::no_such_mailbox:
        return "no such mailbox";
      case Errc::mailbox_exists:
        return "mailbox already exists";
      case Errc::bad_mailbox_name:
        return "invalid mailbox name";
      case Errc::mailbox_has_children:
        return "mailbox has inferior mailboxes";
      case Errc::cannot_delete_inbox:
        return "INBOX cannot be deleted";
      case Errc::no_such_message:
        return "no such message";
      case Errc::too_many_keywords:
        return "too many keywords in this mailbox";
      case Errc::index_corrupt:
        return "the mailbox index is damaged (estafeta index rebuild repairs it)";
      case Errc::over_quota:
        return "over quota";
      case Errc::too_many_metadata:
        return "too many metadata entries";
    }
    return "unknown store error " + std::to_string(value);
  }
};

}  // namespace

const std::error_category& store_category() {
  static const StoreCategory category;
  return category;
}

}  // namespace estafeta::store
