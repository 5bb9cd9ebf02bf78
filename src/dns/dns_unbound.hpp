// dns_unbound: what the blocking and the asynchronous resolvers share about libunbound: a
// context built from ResolverConfig (forwarders, resolv.conf, trust anchor, insecure zones,
// threads rather than a forked process for background work) and the translation of a
// ub_result into an Answer (status from rcode/nxdomain/bogus, rdata copied, at most
// kMaxRecords). Internal to estafeta_dns.
// Trust: the ub_result comes from the network through libunbound's validator. Memory: the
// Answer copies at most kMaxRecords rdata items of at most 65535 octets each.
#pragma once

#include <string>

#include "dns/dns_resolver.hpp"

struct ub_result;

namespace estafeta::dns::detail {

// A configured context in asynchronous (thread) mode, or nullptr with `error` set.
ub_ctx* make_context(const ResolverConfig& config, std::string& error);
void delete_context(ub_ctx* ctx);

// The Answer for a libunbound completion (`err` non-zero: no result); frees `result`.
Answer to_answer(int err, ub_result* result);

// A temporary-failure Answer carrying `why`.
Answer temporary(std::string why);

// Refuses names libunbound should never see (empty, over 253 octets, NUL, spaces).
bool valid_query_name(std::string_view name);

}  // namespace estafeta::dns::detail
