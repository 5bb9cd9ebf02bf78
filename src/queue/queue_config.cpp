// queue_config: the [queue] key table (see the header). To add a key: the field in Settings
// (or RetryPolicy), a row here, then regenerate examples/estafeta.toml (the config unit test
// says how) and add a line to docs/CONFIG.md.
#include "queue/queue_config.hpp"

#include <array>
#include <cstdint>
#include <string>

#include "config/config_table_section.hpp"

namespace estafeta::queue {
namespace {

using config::int_value;
using config::KeyType;
using config::set_int;
using config::set_seconds;
using config::Value;
using Row = config::TableRow<Settings>;

constexpr int64_t kDay = 86400;

const std::array kRows = {
    Row{{"retry_interval", KeyType::integer,
         "Seconds before a deferred remote delivery is tried again; each later try waits twice "
         "as long, up to max_backoff (Postfix minimal_backoff_time)."},
        [](Settings& s, const Value& v) { return set_seconds(s.retry.retry_interval, v, 1, kDay); },
        [](const Settings& s) -> Value { return int_value(s.retry.retry_interval.count()); }},
    Row{{"max_backoff", KeyType::integer,
         "Longest wait in seconds between two tries of a message or a failing destination "
         "(Postfix maximal_backoff_time)."},
        [](Settings& s, const Value& v) { return set_seconds(s.retry.max_backoff, v, 1, kDay); },
        [](const Settings& s) -> Value { return int_value(s.retry.max_backoff.count()); }},
    Row{{"max_lifetime", KeyType::integer,
         "Seconds a message may stay in the queue; then its undelivered recipients fail with "
         "4.4.7 and the sender gets a bounce (Postfix maximal_queue_lifetime)."},
        [](Settings& s, const Value& v) {
          return set_seconds(s.retry.max_lifetime, v, 60, 100 * kDay);
        },
        [](const Settings& s) -> Value { return int_value(s.retry.max_lifetime.count()); }},
    Row{{"delay_warning", KeyType::integer,
         "Seconds after which the sender of a message still deferred is told so once (a "
         "\"delayed\" DSN, unless NOTIFY excludes DELAY); 0 = never."},
        [](Settings& s, const Value& v) {
          return set_seconds(s.retry.delay_warning, v, 0, 100 * kDay);
        },
        [](const Settings& s) -> Value { return int_value(s.retry.delay_warning.count()); }},
    Row{{"max_destinations", KeyType::integer,
         "Destination domains delivered to at once (the transport limits connections itself)."},
        [](Settings& s, const Value& v) { return set_int(s.max_destinations, v, 1, 10000); },
        [](const Settings& s) -> Value { return int_value(s.max_destinations); }},
    Row{{"batch_size", KeyType::integer,
         "Messages for one destination handed to the transport at once (sent over the same "
         "connections)."},
        [](Settings& s, const Value& v) { return set_int(s.batch_size, v, 1, 10000); },
        [](const Settings& s) -> Value { return int_value(s.batch_size); }},
    Row{{"destination_concurrency", KeyType::integer,
         "Batches for one destination handed to the transport at once, each over its own "
         "connection (max_connections_per_destination in [relay] still caps them; Postfix "
         "default_destination_concurrency_limit)."},
        [](Settings& s, const Value& v) { return set_int(s.destination_concurrency, v, 1, 1000); },
        [](const Settings& s) -> Value { return int_value(s.destination_concurrency); }},
};

const config::TableSection<Settings>& section() {
  static const config::TableSection<Settings> table("queue", kRows);
  return table;
}

}  // namespace

void register_config() {
  config::register_section(section());
}

Settings settings_from(const config::Config& config) {
  return section().settings_from(config);
}

}  // namespace estafeta::queue
