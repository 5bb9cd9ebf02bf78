// imap_objectid: see imap_objectid.hpp.
#include "imap/proto/imap_objectid.hpp"

namespace estafeta::imap {

std::string mailbox_object_id(const store::MailboxInfo& info) {
  return "F" + std::to_string(info.uid_validity);
}

}  // namespace estafeta::imap
