// imap_search_eval_casemap: the folding table SEARCH uses, now in the message library
// (mime/mime_casemap.hpp, shared with the full-text index); kept so that imap code can go on
// saying imap::casemap_fold. No state.
#pragma once

#include "mime/mime_casemap.hpp"

namespace estafeta::imap {

using mime::casemap_fold;

}  // namespace estafeta::imap
