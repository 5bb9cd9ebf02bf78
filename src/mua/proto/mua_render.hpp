// mua_render: the output of the reading commands of `estafeta mail` as text for people and
// as JSON for programs (field names are stable; docs/MUA.md lists them): the mailbox list,
// a page of message summaries (list, search, watch), one message (read). Text columns are
// cut and padded by characters, not octets. Input: what the server sent, already decoded to
// UTF-8 and stripped of terminal controls (mua_message_view); JSON strings are escaped by
// mime::append_json_string. Memory: the output string.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "mua/proto/mua_message_view.hpp"

namespace estafeta::mua {

struct MailboxRow {
  std::string name;  // UTF-8
  std::string role;  // "inbox", "sent", "trash", "drafts", "junk", "archive", "all",
                     // "flagged", "important" or ""
  std::vector<std::string> attributes;
  char delimiter = 0;
  bool selectable = true;
  std::optional<std::uint64_t> messages, unseen;
};

std::string render_mailboxes_text(const std::vector<MailboxRow>& rows);
std::string render_mailboxes_json(const std::vector<MailboxRow>& rows);

struct MessageRow {
  std::uint32_t uid = 0;
  std::vector<std::string> flags;
  std::string internal_date;  // as the server wrote it
  std::uint64_t size = 0;
  HeaderSummary header;
};

struct PageInfo {
  std::string mailbox;
  std::uint64_t uidvalidity = 0;
  std::size_t total = 0;  // messages in the mailbox (or matching the query)
  std::size_t page = 1;
  std::size_t page_size = 20;
  std::string query;  // for search: the query as given
};

std::size_t page_count(std::size_t total, std::size_t page_size);

// One line per message, newest first as given: UID, date, from, subject, flags (N new,
// F flagged, A answered, D deleted), size; a header line and a footer with the page.
std::string render_page_text(const PageInfo& page, const std::vector<MessageRow>& rows);
std::string render_page_json(const PageInfo& page, const std::vector<MessageRow>& rows);
// One message as a JSON object (no newline): the fields of a listing row.
std::string render_row_json(const MessageRow& row);
// One line without the trailing newline, as in the list.
std::string render_row_text(const MessageRow& row);

struct ReadInfo {
  std::string mailbox;
  std::uint32_t uid = 0;
  std::vector<std::string> flags;
  std::uint64_t size = 0;
  // The S/MIME verdict lines to show above the text, and its JSON object ("" = none).
  std::vector<std::string> security_lines;
  std::string security_json;
};

std::string render_message_text(const ReadInfo& info, const MessageView& view);
std::string render_message_json(const ReadInfo& info, const MessageView& view);

// Helpers shared with the command line.
std::string human_size(std::uint64_t octets);                         // "980", "1.2K", "3.4M"
std::string fit_columns(const std::string& utf8, std::size_t width);  // cut/pad by characters
std::string json_string(const std::string& s);                        // a JSON string literal
std::string json_strings(const std::vector<std::string>& v);          // a JSON array of strings

}  // namespace estafeta::mua
