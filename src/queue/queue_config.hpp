// queue_config: the [queue] section of estafeta.toml, owned by the outbound queue: the retry
// schedule (Postfix's minimal/maximal_backoff_time and maximal_queue_lifetime, delay
// warnings) and the delivery concurrency, with their ranges and one-line docs.
// register_config() adds the section to config/ (config_section.hpp) and must run before the
// configuration is loaded, rendered or compared; settings_from() applies the values a file
// set over the defaults. Input: values config::load already type-checked (trusted file,
// every range checked here).
#pragma once

#include <cstddef>

#include "config/config.hpp"
#include "queue/queue_retry_schedule.hpp"

namespace estafeta::queue {

struct Settings {
  RetryPolicy retry;                  // retry_interval, max_backoff, max_lifetime, delay_warning
  std::size_t max_destinations = 20;  // destinations (domains) being delivered to at once
  std::size_t batch_size = 100;       // messages handed to the transport in one go per domain
  std::size_t destination_concurrency = 10;  // deliver() calls in flight per destination
};

// Registers the [queue] section with config/ (once; later calls do nothing).
void register_config();

// The [queue] settings of `config`: defaults, overridden by what its file set.
Settings settings_from(const config::Config& config);

}  // namespace estafeta::queue
