// dns_unbound: libunbound context setup and result translation (see dns_unbound.hpp).
#include "dns/dns_unbound.hpp"

#include <unbound.h>
#include <unistd.h>

namespace estafeta::dns {

std::string default_trust_anchor_file() {
  // unbound-anchor's file first (kept current by RFC 5011 rollover), then Debian's
  // dns-root-data copy (updated with the package).
  for (const char* path : {"/var/lib/unbound/root.key", "/usr/share/dns/root.key"}) {
    if (::access(path, R_OK) == 0) return path;
  }
  return "";
}

namespace detail {

namespace {

std::string ub_error(std::string_view what, int err) {
  return std::string(what) + ": " + ub_strerror(err);
}

bool set_option(ub_ctx* ctx, const char* opt, const std::string& value, std::string& error) {
  int err = ub_ctx_set_option(ctx, opt, value.c_str());
  if (err != 0) {
    error = ub_error(std::string("unbound option ") + opt + " " + value, err);
    return false;
  }
  return true;
}

}  // namespace

ub_ctx* make_context(const ResolverConfig& config, std::string& error) {
  ub_ctx* ctx = ub_ctx_create();
  if (!ctx) {
    error = "could not create the libunbound context";
    return nullptr;
  }
  auto fail = [&](std::string why) {
    error = std::move(why);
    ub_ctx_delete(ctx);
    return nullptr;
  };
  // Background work in a thread of this process: forking a multithreaded server is unsafe.
  if (int err = ub_ctx_async(ctx, 1); err != 0) return fail(ub_error("ub_ctx_async", err));
  for (auto& fwd : config.forwarders) {
    // Check the address ourselves: libunbound would also accept a host name here.
    auto at = fwd.find('@');
    if (!IpAddress::parse(std::string_view(fwd).substr(0, at))) {
      return fail("forwarder '" + fwd + "' is not an IP address (optionally @port)");
    }
    if (int err = ub_ctx_set_fwd(ctx, fwd.c_str()); err != 0) {
      return fail(ub_error("forwarder '" + fwd + "'", err));
    }
  }
  if (config.forwarders.empty() && config.use_resolv_conf) {
    if (int err = ub_ctx_resolvconf(ctx, config.resolv_conf_path.c_str()); err != 0) {
      return fail(ub_error("reading " + config.resolv_conf_path, err));
    }
  }
  // A forwarder on this host (127.0.0.53, a local unbound, the tests' server) is what the
  // administrator asked for; libunbound would otherwise refuse to query loopback addresses.
  if ((!config.forwarders.empty() || config.use_resolv_conf) &&
      !set_option(ctx, "do-not-query-localhost:", "no", error)) {
    ub_ctx_delete(ctx);
    return nullptr;
  }
  if (config.dnssec) {
    std::string anchor =
        config.trust_anchor_file.empty() ? default_trust_anchor_file() : config.trust_anchor_file;
    if (anchor.empty() && config.trust_anchors.empty()) {
      return fail(
          "DNSSEC is on but no trust anchor was found (install dns-root-data, or set the trust "
          "anchor file, or turn DNSSEC off)");
    }
    if (!anchor.empty()) {
      // libunbound reads the file only at the first lookup: check it now, with a clear error.
      if (::access(anchor.c_str(), R_OK) != 0) {
        return fail("trust anchor " + anchor + " is not readable");
      }
      if (int err = ub_ctx_add_ta_file(ctx, anchor.c_str()); err != 0) {
        return fail(ub_error("trust anchor " + anchor, err));
      }
    }
    for (auto& ta : config.trust_anchors) {
      if (int err = ub_ctx_add_ta(ctx, ta.c_str()); err != 0) {
        return fail(ub_error("trust anchor '" + ta + "'", err));
      }
    }
    for (auto& zone : config.insecure_domains) {
      if (!set_option(ctx, "domain-insecure:", zone, error)) {
        ub_ctx_delete(ctx);
        return nullptr;
      }
    }
  } else if (!set_option(ctx, "module-config:", "iterator", error)) {
    ub_ctx_delete(ctx);
    return nullptr;
  }
  return ctx;
}

void delete_context(ub_ctx* ctx) {
  if (ctx) ub_ctx_delete(ctx);
}

Answer temporary(std::string why) {
  Answer a;
  a.status = AnswerStatus::temporary;
  a.error = std::move(why);
  return a;
}

bool valid_query_name(std::string_view name) {
  if (name.empty() || name.size() > 254) return false;
  for (char c : name) {
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f) return false;
  }
  return true;
}

Answer to_answer(int err, ub_result* result) {
  if (err != 0 || !result) {
    if (result) ub_resolve_free(result);
    return temporary(err != 0 ? ub_strerror(err) : "no result");
  }
  Answer a;
  a.secure = result->secure != 0;
  a.ttl = result->ttl > 0 ? static_cast<std::uint32_t>(result->ttl) : 0;
  if (result->canonname) a.canonical_name = normalize_name(result->canonname);
  if (result->bogus) {
    // RFC 4035 §5.5: bogus data is never used.
    a.status = AnswerStatus::bogus;
    a.error = result->why_bogus ? result->why_bogus : "DNSSEC validation failed";
    a.secure = false;
  } else if (result->rcode == 3 || result->nxdomain) {  // RFC 1035 §4.1.1 NXDOMAIN
    a.status = AnswerStatus::nxdomain;
  } else if (result->rcode != 0) {
    a.status = AnswerStatus::temporary;
    switch (result->rcode) {
      case 2:
        a.error = "SERVFAIL";
        break;
      case 5:
        a.error = "REFUSED";
        break;
      default:
        a.error = "DNS RCODE " + std::to_string(result->rcode);
        break;
    }
  } else if (result->havedata) {
    a.status = AnswerStatus::data;
    for (int i = 0; result->data[i] && a.rdata.size() < kMaxRecords; ++i) {
      if (result->len[i] < 0) continue;
      a.rdata.emplace_back(result->data[i], static_cast<std::size_t>(result->len[i]));
    }
  } else {
    a.status = AnswerStatus::nodata;  // RFC 2308 §2.2
  }
  ub_resolve_free(result);
  return a;
}

}  // namespace detail
}  // namespace estafeta::dns
